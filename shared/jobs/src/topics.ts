import type { JobsOptions } from 'bullmq';

/** Channels a notification can go out on (contract: NotificationChannel). */
export type Channel = 'EMAIL' | 'WHATSAPP' | 'SMS' | 'PUSH';

/**
 * What a producer asks the notification service to send. The producer names the user, never an
 * address: the notification service keeps contact details from auth's `user.changed` events.
 */
export interface NotificationRequest {
  /** Unique per logical message (e.g. `appointment:<id>:booked:patient`). A repeat is sent once. */
  idempotencyKey: string;
  userId: string;
  /** Template name, e.g. "auth.otp", "appointment.booked". */
  template: string;
  /** Else the user's preferred channel. */
  channel?: Channel;
  variables: Record<string, string | number | boolean | null>;
  /** Names of variables that must never be stored or logged in clear (OTP and reset codes). */
  secretVariables?: string[];
  /** ISO date-time: deliver later (a delayed job). */
  sendAt?: string;
  /** Security messages (OTP, reset, password changed) ignore opt-outs. */
  critical?: boolean;
}

/** Cancels or moves a scheduled message by its idempotency key (appointment reminders). */
export interface NotificationReschedule {
  idempotencyKey: string;
  /** New ISO time; absent = cancel. */
  sendAt?: string;
}

/** auth → everyone that keeps a read copy of users (doctor directory names, notification contacts). */
export interface UserChangedEvent {
  userId: string;
  name: string;
  email: string;
  phone: string | null;
  role: string;
  isVerified: boolean;
  /** ISO; consumers ignore events older than what they hold. */
  updatedAt: string;
}

/** doctor → auth: who may read a patient's health profile (doctors and assistants with an appointment). */
export interface CareRelationshipEvent {
  patientId: string;
  /** User ids of the doctor and assistants of the workplace. */
  staffUserIds: string[];
  /** true: relationship exists; false: revoke (e.g. assistant unassigned). */
  active: boolean;
  occurredAt: string;
  /** Per staff member, what auth needs for consent and expiry (absent on events from before consent). */
  staff?: CareStaffState[];
}

/** One staff member's care of a patient, as the doctor subgraph sees it at `occurredAt`. */
export interface CareStaffState {
  staffUserId: string;
  /** A current relationship: a pending, confirmed or completed appointment with an approved doctor. */
  active: boolean;
  /** ISO; the end of the latest such appointment (access expires a configured time after it). */
  lastVisitAt?: string;
  /** ISO; the end of the latest completed one. */
  lastCompletedAt?: string;
  /**
   * Set when this change grants: PATIENT when the patient booked the appointment themself (their
   * consent), STAFF when a doctor/assistant booked it (a request the patient accepts first).
   */
  grantedBy?: 'PATIENT' | 'STAFF';
  appointmentId?: string;
  /** ISO; when the granting appointment was booked (a grant older than the patient's revoke does not reopen). */
  appointmentBookedAt?: string;
  /** e.g. "appointment 2026-12-02 09:30 with Dr X". */
  reason?: string;
}

/** pharmacy → itself: a delayed job that marks a reservation EXPIRED once its hold lapses. */
export interface ReservationExpireEvent {
  reservationId: string;
  /** ISO; the job is delayed until then. */
  expiresAt: string;
}

/** One line of a prescription as the pharmacy needs it to dispense. */
export interface PrescriptionLineState {
  itemId: string;
  quantity: number;
  dosageInstructions: string | null;
}

/**
 * doctor → pharmacy: the whole current state of one prescription (issued, cancelled). The pharmacy
 * keeps its own copy and decides alone whether an order may dispense against it; `version` grows
 * with every change so a late or repeated event never overwrites a newer state.
 */
export interface PrescriptionChangedEvent {
  prescriptionId: string;
  patientId: string;
  /** Doctor profile id and the doctor's user id. */
  doctorId: string;
  doctorUserId: string;
  appointmentId: string;
  status: 'ACTIVE' | 'CANCELLED';
  issuedAt: string;
  expiresAt: string;
  items: PrescriptionLineState[];
  version: number;
  occurredAt: string;
}

/**
 * pharmacy → doctor: a pharmacy now holds an order or reservation that uses this prescription, so
 * its staff may read the prescription (lines, prescriber) through `prescription(id)`.
 */
export interface PrescriptionPharmacyAccessEvent {
  prescriptionId: string;
  pharmacyId: string;
  pharmacyUserId: string;
  occurredAt: string;
}

/**
 * doctor subgraph → gateways: an appointment changed. Not a queued topic: published on Redis
 * pub/sub after the change commits (`appointmentEventsChannel`); every gateway instance receives
 * it and delivers it to its graphql-ws subscribers that appear in `allowedUserIds` (patient,
 * doctor, assistants of the workplace). Carries ids only: each subscriber's fields are resolved
 * through the supergraph with their token.
 */
export interface AppointmentChangedEvent {
  type: 'BOOKED' | 'CONFIRMED' | 'CANCELLED' | 'RESCHEDULED' | 'COMPLETED' | 'NO_SHOW';
  appointmentId: string;
  doctorId: string;
  workplaceId: string;
  allowedUserIds: string[];
  /**
   * Who of `allowedUserIds` is there in which role, so gateways can group subscribers that must get the
   * same answer (gateway/src/subscriptions/fanout.ts). Optional: events from an older publisher lack it,
   * and gateways then share nothing across users.
   */
  audience?: { patientId: string; doctorUserId: string; assistantUserIds: string[] };
  /** ISO date-time. */
  occurredAt: string;
}

/** The Redis pub/sub channel for appointment events under a deployment's REDIS_PREFIX. */
export const appointmentEventsChannel = (redisPrefix: string): string => `${redisPrefix}:pubsub:appointment-events`;

/**
 * doctor subgraph → gateways: a slot became bookable by anyone (a waitlist hold released with
 * nobody left waiting, or a cancellation, reschedule or no-show that freed a future slot no
 * waiting patient took). Published like AppointmentChangedEvent (Redis pub/sub after commit,
 * `slotEventsChannel`) and delivered to every signed-in `slotReleased` subscriber whose filters
 * match: it names a time, never a person.
 */
export interface SlotReleasedEvent {
  doctorId: string;
  workplaceId: string;
  /** ISO date-times of the slot. */
  startsAt: string;
  endsAt: string;
  /** ISO date-time. */
  occurredAt: string;
}

/** The Redis pub/sub channel for slot events under a deployment's REDIS_PREFIX. */
export const slotEventsChannel = (redisPrefix: string): string => `${redisPrefix}:pubsub:slot-events`;

/** doctor → itself: a delayed job that moves a waitlist offer on once its hold lapses. */
export interface WaitlistOfferExpireEvent {
  entryId: string;
  /** The HELD appointment row of the offer; the job acts only while the entry still offers this hold. */
  holdId: string;
  /** ISO; the job is delayed until then. */
  expiresAt: string;
}

/** One link of a subgraph's audit chain (see @hc/audit), as relayed to auth's collected copy. */
export interface AuditEventPayload {
  id: string;
  service: string;
  seq: number;
  occurredAt: string;
  actorId: string | null;
  actorRole: string | null;
  action: 'READ' | 'CREATE' | 'UPDATE' | 'DELETE';
  resourceType: string;
  resourceId: string | null;
  patientId: string | null;
  fields: string[];
  requestId: string | null;
  prevHash: string;
  hash: string;
}

/** any subgraph → auth: events just appended to the subgraph's own audit trail, in chain order. */
export interface AuditRecordedEvent {
  service: string;
  events: AuditEventPayload[];
}

export interface TopicPayloads {
  'notification.send': NotificationRequest;
  'notification.reschedule': NotificationReschedule;
  'user.changed': UserChangedEvent;
  'care.changed': CareRelationshipEvent;
  'reservation.expire': ReservationExpireEvent;
  'prescription.changed': PrescriptionChangedEvent;
  'prescription.pharmacy-access': PrescriptionPharmacyAccessEvent;
  'waitlist.offer-expire': WaitlistOfferExpireEvent;
  'audit.recorded': AuditRecordedEvent;
}
export type Topic = keyof TopicPayloads;

/** BullMQ queue names. Each consuming service owns one events queue. */
export const QUEUES = {
  notifications: 'notifications',
  authEvents: 'auth-events',
  doctorEvents: 'doctor-events',
  notificationEvents: 'notification-events',
  pharmacyEvents: 'pharmacy-events',
} as const;

/**
 * BullMQ `attempts` on every notification job. The notification worker's JOB_ATTEMPTS (<= this)
 * decides when a transient failure becomes final, and its backoff strategy ('notification')
 * the delays, so producers never need the worker's retry settings.
 */
export const NOTIFICATION_MAX_ATTEMPTS = 25;
export const NOTIFICATION_BACKOFF_TYPE = 'notification';

/** What a notification job's data holds: the request plus the outbox row it came from. */
export type NotificationJobData = NotificationRequest & { outboxId: string };

/** Events outlive a consumer's short outage (e.g. its database restarting) instead of failing on the first try. */
const EVENT_RETRY = { attempts: 10, backoff: { type: 'exponential', delay: 1_000 } } as const;

export const REDACTED = '[redacted]';

/** The request with its secret variables (OTP and reset codes) replaced, for storage after use. */
export function redactSecrets<T extends Pick<NotificationRequest, 'variables' | 'secretVariables'>>(request: T): T {
  if (!request.secretVariables?.length) return request;
  const variables = { ...request.variables };
  for (const name of request.secretVariables) if (name in variables) variables[name] = REDACTED;
  return { ...request, variables };
}

export interface Delivery {
  queue: string;
  name: string;
  data: unknown;
  opts?: JobsOptions;
}

/**
 * Fan-out of an outbox row to queues. The outbox id is the jobId, so a relay that publishes
 * the same row twice (crash between add and mark) creates one job per queue, not two.
 */
export function route(topic: string, payload: unknown, outboxId: string): Delivery[] {
  const base = { jobId: outboxId, removeOnComplete: { age: 24 * 3600, count: 10_000 }, removeOnFail: { age: 7 * 24 * 3600 } };
  switch (topic as Topic) {
    case 'notification.send': {
      // Enqueued at once even with sendAt: the worker records the message (so it can be found
      // by its key to cancel or move) and then delays the job itself until sendAt.
      const req = payload as NotificationRequest;
      const opts = { ...base, attempts: NOTIFICATION_MAX_ATTEMPTS, backoff: { type: NOTIFICATION_BACKOFF_TYPE } };
      return [{ queue: QUEUES.notifications, name: topic, data: { outboxId, ...req }, opts }];
    }
    case 'notification.reschedule':
      return [{ queue: QUEUES.notifications, name: topic, data: payload, opts: { ...base, ...EVENT_RETRY } }];
    case 'user.changed':
      return [QUEUES.doctorEvents, QUEUES.notificationEvents, QUEUES.pharmacyEvents].map((queue) => ({
        queue,
        name: topic,
        data: payload,
        opts: { ...base, ...EVENT_RETRY },
      }));
    case 'care.changed':
    case 'audit.recorded':
      return [{ queue: QUEUES.authEvents, name: topic, data: payload, opts: { ...base, ...EVENT_RETRY } }];
    case 'prescription.changed':
      return [{ queue: QUEUES.pharmacyEvents, name: topic, data: payload, opts: { ...base, ...EVENT_RETRY } }];
    case 'prescription.pharmacy-access':
      return [{ queue: QUEUES.doctorEvents, name: topic, data: payload, opts: { ...base, ...EVENT_RETRY } }];
    case 'reservation.expire': {
      const delay = Math.max(0, Date.parse((payload as ReservationExpireEvent).expiresAt) - Date.now());
      return [
        {
          queue: QUEUES.pharmacyEvents,
          name: topic,
          data: payload,
          opts: { ...base, delay, attempts: 5, backoff: { type: 'exponential', delay: 1_000 } },
        },
      ];
    }
    case 'waitlist.offer-expire': {
      const delay = Math.max(0, Date.parse((payload as WaitlistOfferExpireEvent).expiresAt) - Date.now());
      return [
        {
          queue: QUEUES.doctorEvents,
          name: topic,
          data: payload,
          opts: { ...base, delay, attempts: 10, backoff: { type: 'exponential', delay: 1_000 } },
        },
      ];
    }
    default:
      throw new Error(`no route for outbox topic ${topic}`);
  }
}
