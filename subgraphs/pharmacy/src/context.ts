import type { EntityManager } from '@mikro-orm/postgresql';
import type { BaseContext } from '@hc/graphql';

export interface PharmacySubgraphContext extends BaseContext {
  em: EntityManager;
  /** RESERVATION_TTL_MINUTES: how long reserveItems holds stock. */
  reservationTtlMinutes: number;
}
