import type { EntityManager } from '@mikro-orm/postgresql';
import type { Queue } from 'bullmq';
import type { BaseContext } from '@hc/graphql';

export interface NotificationSubgraphContext extends BaseContext {
  em: EntityManager;
  /** The notifications queue (admin operations view). */
  queue: Queue;
}
