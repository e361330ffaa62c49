import type { EntityManager } from '@mikro-orm/postgresql';
import { outbox } from '@hc/jobs';
import type { AppointmentChangedEvent } from '@hc/graphql';
import type { Appointment, AppointmentEventType } from './appointment.entity.js';
import { UserCopy } from '../user/user-copy.entity.js';
import { Workplace } from '../workplace/workplace.entity.js';
import { assistantsOf } from '../access.js';

const REMINDER_LEAD_MS = 24 * 3600_000;

/** Templates of the notification catalogue: every change notifies patient and doctor. */
const TEMPLATE: Record<AppointmentEventType, string> = {
  BOOKED: 'appointment.booked',
  CONFIRMED: 'appointment.confirmed',
  CANCELLED: 'appointment.cancelled',
  RESCHEDULED: 'appointment.rescheduled',
  COMPLETED: 'appointment.completed',
  NO_SHOW: 'appointment.no_show',
};

/** What a change's messages need besides the appointment row; read before the transaction opens. */
export interface ChangeContext {
  doctorName: string;
  patientName: string;
  workplaceName: string;
  timeZone: string;
  /** Assistants assigned to the workplace (user ids). */
  staff: string[];
}

/**
 * Loads names, workplace and staff for an appointment's messages. Called before the transaction
 * so the transaction itself is only the writes (short lock and connection hold under load).
 */
export async function changeContext(
  em: EntityManager,
  a: Pick<Appointment, 'patientId' | 'doctorUserId' | 'workplaceId'>,
  workplace?: Workplace,
): Promise<ChangeContext> {
  const [users, wp, staff] = await Promise.all([
    em.find(UserCopy, { userId: { $in: [a.patientId, a.doctorUserId] } }),
    workplace ?? em.findOne(Workplace, { id: a.workplaceId }),
    assistantsOf(em, [a.workplaceId]),
  ]);
  const name = (id: string) => users.find((u) => u.userId === id)?.name ?? '';
  return {
    doctorName: name(a.doctorUserId),
    patientName: name(a.patientId),
    workplaceName: wp?.name ?? '',
    timeZone: wp?.timeZone ?? 'UTC',
    staff: staff.get(a.workplaceId) ?? [],
  };
}

const reminderKey = (a: Appointment, version: number, userId: string) => `appointment:${a.id}:reminder:v${version}:${userId}`;

/**
 * Adds to the caller's transaction everything an appointment change sends: the change notice
 * to patient and doctor, the reminder 24 h before (a new one per time change; the old one
 * cancelled). Care state for auth is published by appointment.service.ts (care.ts). Keys carry the version, so a
 * retry never sends twice and each change sends once.
 */
export function recordChange(em: EntityManager, a: Appointment, type: AppointmentEventType, c: ChangeContext): void {
  const vars = {
    appointmentId: a.id,
    doctorName: c.doctorName,
    patientName: c.patientName,
    workplaceName: c.workplaceName,
    startsAt: a.startsAt.toISOString(),
    timeZone: c.timeZone,
  };
  const participants = [a.patientId, a.doctorUserId];
  for (const userId of participants) {
    outbox.notify(em, {
      idempotencyKey: `appointment:${a.id}:v${a.version}:${type.toLowerCase()}:${userId}`,
      userId,
      template: TEMPLATE[type],
      variables: { ...vars, ...(type === 'CANCELLED' ? { reason: a.cancellationReason ?? '' } : {}) },
    });
  }
  const timeChanged = type === 'BOOKED' || type === 'RESCHEDULED';
  const ended = type === 'CANCELLED' || type === 'COMPLETED' || type === 'NO_SHOW';
  if ((timeChanged || ended) && a.reminderVersion != null) {
    for (const userId of participants) outbox.reschedule(em, { idempotencyKey: reminderKey(a, a.reminderVersion, userId) });
    a.reminderVersion = null;
  }
  const sendAt = new Date(a.startsAt.getTime() - REMINDER_LEAD_MS);
  if (timeChanged && sendAt.getTime() > Date.now()) {
    for (const userId of participants) {
      outbox.notify(em, {
        idempotencyKey: reminderKey(a, a.version, userId),
        userId,
        template: 'appointment.reminder',
        variables: vars,
        sendAt: sendAt.toISOString(),
      });
    }
    a.reminderVersion = a.version;
  }
}

/** The pub/sub event for subscribers, with who may receive it. */
export function changedEvent(a: Appointment, type: AppointmentEventType, c: ChangeContext): AppointmentChangedEvent {
  return {
    type,
    appointmentId: a.id,
    doctorId: a.doctorId,
    workplaceId: a.workplaceId,
    allowedUserIds: [...new Set([a.patientId, a.doctorUserId, ...c.staff])],
    audience: { patientId: a.patientId, doctorUserId: a.doctorUserId, assistantUserIds: c.staff },
    occurredAt: new Date().toISOString(),
  };
}
