import type { EntityManager } from '@mikro-orm/postgresql';
import type { BaseContext } from '@hc/graphql';

export interface DoctorSubgraphContext extends BaseContext {
  em: EntityManager;
}
