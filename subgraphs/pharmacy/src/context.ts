import type { EntityManager } from '@mikro-orm/postgresql';
import type { BaseContext } from '@hc/graphql';

export interface PharmacySubgraphContext extends BaseContext {
  em: EntityManager;
  /** RESERVATION_TTL_MINUTES: how long reserveItems holds stock. */
  reservationTtlMinutes: number;
  /** Per-patient caps (PATIENT_MAX_ACTIVE_RESERVATIONS, PATIENT_MAX_RESERVED_UNITS). */
  caps: { maxActiveReservations: number; maxReservedUnits: number };
}
