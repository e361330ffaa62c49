import type { EntityManager } from '@mikro-orm/postgresql';
import type { BaseContext } from '@hc/graphql';

export interface AuthSubgraphContext extends BaseContext {
  em: EntityManager;
}
