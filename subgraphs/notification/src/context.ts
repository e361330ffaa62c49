import type { EntityManager } from '@mikro-orm/postgresql';
import type { BaseContext } from '@hc/graphql';

export interface NotificationSubgraphContext extends BaseContext {
  em: EntityManager;
}
