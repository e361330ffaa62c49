import type { EntityManager } from '@mikro-orm/postgresql';
import type { BaseContext } from '@hc/graphql';
import type { AppointmentEvents } from './modules/appointment/appointment.events.js';

export interface DoctorSubgraphContext extends BaseContext {
  em: EntityManager;
  /** Publishes appointment changes for subscribers; call after the transaction commits. */
  events: AppointmentEvents;
  /** Per-patient caps (PATIENT_MAX_UPCOMING_APPOINTMENTS). */
  caps: { maxUpcomingAppointments: number };
}
