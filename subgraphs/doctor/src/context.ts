import type { EntityManager } from '@mikro-orm/postgresql';
import type { BaseContext } from '@hc/graphql';
import type { AppointmentEvents } from './modules/appointment/appointment.events.js';
import type { DocumentStore } from './modules/document/document.store.js';

export interface DoctorSubgraphContext extends BaseContext {
  em: EntityManager;
  /** Publishes appointment changes for subscribers; call after the transaction commits. */
  events: AppointmentEvents;
  /** How long a waitlist offer holds its slot (WAITLIST_OFFER_MINUTES); 15 when absent. */
  waitlistOfferMinutes?: number;
  /** Doctors' documents (signed upload/download URLs) and their limits. */
  documents?: DocumentStore & { maxBytes: number; ttlSeconds: number };
  /** Per-patient caps (PATIENT_MAX_UPCOMING_APPOINTMENTS). */
  caps: { maxUpcomingAppointments: number };
}
