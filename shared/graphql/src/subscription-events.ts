/**
 * doctor subgraph → gateways: an appointment changed. Published on Redis pub/sub after the
 * change commits; every gateway instance receives it and delivers it to its graphql-ws
 * subscribers that appear in `allowedUserIds` (patient, doctor, assistants of the workplace).
 * Carries ids only: each subscriber's fields are resolved through the supergraph with their token.
 */
export interface AppointmentChangedEvent {
  type: 'BOOKED' | 'CONFIRMED' | 'CANCELLED' | 'RESCHEDULED' | 'COMPLETED' | 'NO_SHOW';
  appointmentId: string;
  doctorId: string;
  workplaceId: string;
  allowedUserIds: string[];
  /** ISO date-time. */
  occurredAt: string;
}

/** The Redis pub/sub channel for appointment events under a deployment's REDIS_PREFIX. */
export const appointmentEventsChannel = (redisPrefix: string): string => `${redisPrefix}:pubsub:appointment-events`;
