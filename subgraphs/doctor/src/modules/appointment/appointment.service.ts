/**
 * Appointment rules: who may see, book and move appointments, and the status machine
 * (PENDING → CONFIRMED → COMPLETED | NO_SHOW; PENDING/CONFIRMED → CANCELLED; reschedule keeps
 * the status). Every function authorizes from `ctx.auth` itself, so any caller (resolver, a job,
 * another feature) gets the same rules.
 *
 * What a write guarantees:
 * - Transaction boundary: each write is one transaction on a fork of `ctx.em` holding the
 *   appointment change, its outbox rows (notices to patient and doctor, reminder scheduled or
 *   withdrawn) and, for booking, cancellation, completion and no-show, the `care.changed` state for auth. All commit
 *   or none does. Call these outside a transaction of your own: they are not written to join one.
 *   Reads for messages (names, workplace, staff) and the friendly overlap check
 *   run before the transaction, so it holds locks only for the writes.
 * - Locks: advisory, transaction-scoped, taken through `lockInOrder` (sorted, so no deadlock
 *   between writers): booking and rescheduling take `doctor:<doctorId>`, `patient:<patientId>`
 *   and `workplace:<workplaceId>` before writing; cancellation takes `workplace:<workplaceId>`
 *   after its row update and before publishing care state (assistant (un)assignment takes the
 *   same workplace lock, so care states publish in commit order). The exclusion constraints
 *   against double booking stay the guarantee. A slot taken before the transaction throws
 *   ConflictError (CONFLICT/SLOT_UNAVAILABLE); a race lost at the constraint throws the database
 *   error (SQLSTATE 23P01), which the subgraph's formatError answers as the same CONFLICT.
 *   Callers outside GraphQL test both with `isSlotUnavailable`.
 * - Status changes are conditional updates on (status, version): a concurrent change makes the
 *   loser fail with CONFLICT/INVALID_STATUS instead of overwriting.
 * - After commit only: the `appointmentUpdated` event goes to `ctx.events` (subscribers), and so
 *   do `slotReleased` events for freed future slots no waiting patient took. A failed
 *   transaction publishes nothing.
 *
 * Inputs arrive shape-checked from GraphQL (class-validator on the input classes: UUIDs, lengths);
 * a caller outside GraphQL passes values of the same shape (the database still rejects others).
 */
import type { EntityManager } from '@mikro-orm/postgresql';
import {
  BadUserInputError,
  ConflictError,
  type ConnectionShape,
  ForbiddenError,
  NotFoundError,
  offsetCursor,
  pageSize,
  requireUser,
  toConnection,
} from '@hc/graphql';
import { lockInOrder, readPlainPage } from '@hc/db';
import type { SlotReleasedEvent } from '@hc/jobs';
import { Appointment, AppointmentEventType, AppointmentStatus, FREED_STATUSES } from './appointment.entity.js';
import type { BookAppointmentInput } from './appointment.inputs.js';
import type { AppointmentsArgs } from './appointment.types.js';
import { changeContext, changedEvent, recordChange } from './appointment.notify.js';
import { Doctor, VerificationStatus } from '../doctor/doctor.entity.js';
import { Workplace } from '../workplace/workplace.entity.js';
import { UserCopy } from '../user/user-copy.entity.js';
import { type UserRef, userRef } from '../user/user.reference.js';
import { slotStartingAt } from '../availability/slots.js';
import { canSeeAppointment, isStaffOf, myAssignedWorkplaceIds, myDoctorOrNull, staffOf } from '../access.js';
import { assertBelowCap } from './booking-rules.js';
import { auditChange } from '@hc/audit';
import { publishCareState } from '../care.js';
import { load } from '../loaders.js';
import { HELD } from '../waitlist/waitlist.entity.js';
import { offerFreedTime } from '../waitlist/waitlist.service.js';
import type { DoctorSubgraphContext } from '../../context.js';

const ACTIVE = [AppointmentStatus.PENDING, AppointmentStatus.CONFIRMED];

const VERB: Record<string, string> = {
  CONFIRMED: 'confirm',
  COMPLETED: 'complete',
  NO_SHOW: 'mark as no-show',
  CANCELLED: 'cancel',
};

/** Whether a booking or rescheduling failed because the slot is taken (checked early or by the exclusion constraint). */
export function isSlotUnavailable(error: unknown): boolean {
  const e = error as { extensions?: { reason?: unknown }; code?: unknown; sqlState?: unknown } | null;
  return e?.extensions?.reason === 'SLOT_UNAVAILABLE' || e?.code === '23P01' || e?.sqlState === '23P01';
}

/** The appointment if the caller may see it (participants, assigned assistants, admins), else null. */
export async function appointmentByReference(ctx: DoctorSubgraphContext, id: string): Promise<Appointment | null> {
  const a = await load.appointment(ctx, id);
  return a && (await canSeeAppointment(ctx, a)) ? a : null;
}

/** The appointment if the caller may see it; NOT_FOUND otherwise, so ids of others' appointments leak nothing. */
export async function findVisibleAppointment(ctx: DoctorSubgraphContext, id: string): Promise<Appointment> {
  const a = await appointmentByReference(ctx, id);
  if (!a) throw new NotFoundError('Appointment');
  return a;
}

/** The doctor of the appointment or an assistant assigned to its workplace. */
async function isStaffOfAppointment(ctx: DoctorSubgraphContext, a: Appointment): Promise<boolean> {
  const user = requireUser(ctx.auth);
  if (user.id === a.doctorUserId) return true;
  return user.role === 'ASSISTANT' && (await myAssignedWorkplaceIds(ctx)).has(a.workplaceId);
}

/** Friendly check before the exclusion constraints answer: overlapping appointments that still occupy their time. */
async function assertFree(
  em: EntityManager,
  a: { doctorId: string; patientId: string; startsAt: Date; endsAt: Date },
  exceptId?: string,
) {
  const clash = await em.count(Appointment, {
    ...(exceptId ? { id: { $ne: exceptId } } : {}),
    status: { $nin: FREED_STATUSES },
    startsAt: { $lt: a.endsAt },
    endsAt: { $gt: a.startsAt },
    $or: [{ doctorId: a.doctorId }, { patientId: a.patientId }],
  });
  if (clash > 0) throw new ConflictError('The requested time slot is no longer available', 'SLOT_UNAVAILABLE');
}

/** The slot of an active workplace starting at `startsAt`, in the future. */
function requireSlot(wp: Workplace, startsAt: Date) {
  if (startsAt.getTime() <= Date.now()) throw BadUserInputError.field('startsAt', 'startsAt must be in the future');
  const slot = slotStartingAt(wp, startsAt);
  if (!slot) throw BadUserInputError.field('startsAt', 'startsAt is not the start of a slot of this workplace');
  return slot;
}

async function appointmentsPage(ctx: DoctorSubgraphContext, where: Record<string, unknown>, args: AppointmentsArgs) {
  where.status = args.status ?? { $ne: HELD }; // slot holds of the waitlist are not appointments to anyone
  if (args.from || args.to) where.startsAt = { ...(args.from ? { $gte: args.from } : {}), ...(args.to ? { $lt: args.to } : {}) };
  // Read-only page: plain rows (readPlainPage), the same SQL and cursors as em.findByCursor.
  const cursor = await readPlainPage(ctx.em, Appointment, {
    where,
    first: pageSize(args.first),
    after: args.after ?? undefined,
    orderBy: { startsAt: 'asc', id: 'asc' },
  });
  return toConnection(cursor);
}

/** The caller's appointments: as patient, as doctor, or as assistant of assigned workplaces. */
export async function listMyAppointments(ctx: DoctorSubgraphContext, args: AppointmentsArgs) {
  const user = requireUser(ctx.auth);
  const where: Record<string, unknown> = {};
  if (user.role === 'DOCTOR') where.doctorUserId = user.id;
  else if (user.role === 'ASSISTANT') where.workplaceId = { $in: [...(await myAssignedWorkplaceIds(ctx))] };
  else where.patientId = user.id;
  return appointmentsPage(ctx, where, args);
}

/** A user's appointments (as patient or doctor): the user themself and admins only. */
export async function listUserAppointments(ctx: DoctorSubgraphContext, userId: string, args: AppointmentsArgs) {
  const caller = requireUser(ctx.auth);
  if (caller.id !== userId && caller.role !== 'ADMIN') throw new ForbiddenError('Only the user and admins see these');
  const where: Record<string, unknown> = { $or: [{ patientId: userId }, { doctorUserId: userId }] };
  return appointmentsPage(ctx, where, args);
}

/** Doctor: their patients; assistant: patients of assigned workplaces. First seen first. */
export async function listMyPatients(
  ctx: DoctorSubgraphContext,
  page: { first?: number; after?: string },
): Promise<ConnectionShape<UserRef>> {
  const limit = pageSize(page.first);
  const offset = offsetCursor.decode(page.after);
  let scope: string;
  let params: unknown[];
  const doctor = await myDoctorOrNull(ctx);
  if (doctor) {
    scope = 'doctor_id = ?';
    params = [doctor.id];
  } else {
    const ids = [...(await myAssignedWorkplaceIds(ctx))];
    if (ids.length === 0) return { nodes: [], totalCount: 0, pageInfo: { endCursor: null, hasNextPage: false } };
    scope = 'workplace_id in (?)';
    params = [ids];
  }
  const conn = ctx.em.getConnection();
  const [rows, total] = await Promise.all([
    conn.execute<{ patient_id: string }[]>(
      `select patient_id from appointments where ${scope} and status <> '${HELD}' group by patient_id order by min(created_at), patient_id limit ? offset ?`,
      [...params, limit, offset],
    ),
    conn.execute<{ n: string }[]>(
      `select count(distinct patient_id) as n from appointments where ${scope} and status <> '${HELD}'`,
      params,
    ),
  ]);
  const totalCount = Number(total[0]?.n ?? 0);
  const end = offset + rows.length;
  return {
    nodes: rows.map((r) => userRef(r.patient_id)),
    totalCount,
    pageInfo: { endCursor: rows.length ? offsetCursor.encode(end) : null, hasNextPage: end < totalCount },
  };
}

/**
 * Books a slot of an active workplace of an approved doctor: a patient for themself, or the
 * doctor / an assigned assistant for `input.patientId` (a registered patient). The new
 * appointment is PENDING.
 */
export async function bookAppointment(ctx: DoctorSubgraphContext, input: BookAppointmentInput): Promise<Appointment> {
  const user = requireUser(ctx.auth);
  const em = ctx.em.fork();
  const wp = await em.findOne(Workplace, { id: input.workplaceId });
  const doctor = wp && (await em.findOne(Doctor, { id: wp.doctorId }));
  if (!wp || !wp.isActive || !doctor) throw new NotFoundError('Workplace');
  if (doctor.verificationStatus !== VerificationStatus.APPROVED) {
    // Patients cannot see unapproved doctors, so to them the workplace does not exist; the doctor
    // preparing workplaces, their staff and admins learn why.
    if (user.role !== 'ADMIN' && !(await isStaffOf(ctx, wp))) throw new NotFoundError('Workplace');
    throw new ConflictError('This doctor is not approved yet and cannot be booked', 'DOCTOR_NOT_APPROVED');
  }
  let patientId: string;
  if (user.role === 'PATIENT') {
    if (input.patientId && input.patientId !== user.id) throw new ForbiddenError('Patients book for themselves only');
    patientId = user.id;
  } else if (user.role === 'DOCTOR' || user.role === 'ASSISTANT') {
    if (!(await isStaffOf(ctx, wp))) throw new ForbiddenError('You do not work at this workplace');
    if (!input.patientId) throw BadUserInputError.field('patientId', 'patientId is required when staff book');
    const patient = await em.findOne(UserCopy, { userId: input.patientId });
    if (!patient || patient.role !== 'PATIENT') throw BadUserInputError.field('patientId', 'not a registered patient');
    patientId = input.patientId;
  } else {
    throw new ForbiddenError('Only patients and their care staff book appointments');
  }
  const slot = requireSlot(wp, input.startsAt);
  const a = em.create(
    Appointment,
    {
      patientId,
      doctorId: doctor.id,
      doctorUserId: doctor.userId,
      workplaceId: wp.id,
      startsAt: slot.startsAt,
      endsAt: slot.endsAt,
      notes: input.notes ?? null,
      bookedBy: user.id,
    } as Appointment,
    { persist: false },
  ); // persisted inside the transaction, after the friendly check
  const [, change] = await Promise.all([assertFree(em, a), changeContext(em, a, wp)]);
  // One flush in one transaction: the appointment (the exclusion constraints decide here) and its outbox rows.
  await em.transactional(async (tx) => {
    // Racing bookings of one doctor or patient queue here; the constraints still decide.
    await lockInOrder(tx, [`doctor:${a.doctorId}`, `patient:${a.patientId}`, `workplace:${a.workplaceId}`]);
    // Counted under the patient lock every booking takes: parallel bookings cannot all pass.
    await assertBelowCap(tx, a.patientId, ctx.caps.maxUpcomingAppointments);
    tx.persist(a);
    recordChange(tx, a, AppointmentEventType.BOOKED, change);
    await tx.flush();
    // The patient's own booking grants the care team; a booking by staff asks the patient (auth).
    await publishCareState(tx, a.patientId, [a.doctorUserId, ...(await staffOf(tx, a.workplaceId))], { appointmentId: a.id });
    if (a.notes)
      await auditChange(tx, 'doctor', ctx, {
        action: 'CREATE',
        resourceType: 'Appointment',
        resourceId: a.id,
        patientId: a.patientId,
        fields: ['notes'],
      });
  });
  await ctx.events.publish(changedEvent(a, AppointmentEventType.BOOKED, change));
  return a;
}

/** One status change: visible to the caller, allowed for them, from one of `from`, atomically. */
async function transition(
  ctx: DoctorSubgraphContext,
  id: string,
  to: AppointmentStatus,
  from: AppointmentStatus[],
  type: AppointmentEventType,
  allowPatient: boolean,
  extra: Partial<Appointment> = {},
): Promise<Appointment> {
  const user = requireUser(ctx.auth);
  const current = await findVisibleAppointment(ctx, id);
  const mayAct = (allowPatient && user.id === current.patientId) || (await isStaffOfAppointment(ctx, current));
  if (!mayAct) throw new ForbiddenError(`You cannot ${VERB[to]} this appointment`);
  const em = ctx.em.fork();
  const change = await changeContext(em, current);
  let released: SlotReleasedEvent[] = [];
  const appointment = await em.transactional(async (tx) => {
    // Conditional update: the status machine holds even when two requests race.
    const changed = await tx.nativeUpdate(
      Appointment,
      { id, status: { $in: from }, version: current.version },
      { status: to, version: current.version + 1, updatedAt: new Date(), ...extra },
    );
    if (changed === 0) {
      const now = await tx.findOne(Appointment, { id }, { refresh: true });
      throw new ConflictError(`Cannot ${VERB[to]} an appointment that is ${now?.status ?? 'gone'}`, 'INVALID_STATUS');
    }
    const fresh = await tx.findOneOrFail(Appointment, { id }, { refresh: true });
    recordChange(tx, fresh, type, change);
    if (type !== AppointmentEventType.CONFIRMED) {
      // A cancelled or missed appointment no longer grants access to the patient's health data,
      // and a completed one starts the expiry clock (auth: CARE_ACCESS_DAYS after the last visit).
      await lockInOrder(tx, [`workplace:${fresh.workplaceId}`]);
      await publishCareState(tx, fresh.patientId, [fresh.doctorUserId, ...(await staffOf(tx, fresh.workplaceId))]);
      released = await offerFreedTime(ctx, tx, fresh); // the freed slot goes to the waitlist in this commit
    }
    return fresh;
  });
  await ctx.events.publish(changedEvent(appointment, type, change));
  await ctx.events.publishSlotReleased(released);
  return appointment;
}

/** Doctor or assigned assistant: PENDING → CONFIRMED. */
export function confirmAppointment(ctx: DoctorSubgraphContext, id: string): Promise<Appointment> {
  return transition(ctx, id, AppointmentStatus.CONFIRMED, [AppointmentStatus.PENDING], AppointmentEventType.CONFIRMED, false);
}

/** Either side: PENDING/CONFIRMED → CANCELLED, recording who cancelled and why (at most 2000 characters). */
export async function cancelAppointment(ctx: DoctorSubgraphContext, id: string, reason?: string | null): Promise<Appointment> {
  if (reason && reason.length > 2000) throw BadUserInputError.field('reason', 'reason is at most 2000 characters');
  return transition(ctx, id, AppointmentStatus.CANCELLED, ACTIVE, AppointmentEventType.CANCELLED, true, {
    cancellationReason: reason?.trim() || null,
    cancelledBy: requireUser(ctx.auth).id,
  });
}

/** Doctor or assigned assistant: CONFIRMED → COMPLETED. */
export function completeAppointment(ctx: DoctorSubgraphContext, id: string): Promise<Appointment> {
  return transition(ctx, id, AppointmentStatus.COMPLETED, [AppointmentStatus.CONFIRMED], AppointmentEventType.COMPLETED, false);
}

/**
 * Doctor or assigned assistant: CONFIRMED → NO_SHOW, at any time (also before the start, when the
 * patient has said they will not come). The row leaves the double-booking constraints like a
 * cancellation: the future slots of its time go to the waitlist, else are public (slotReleased).
 */
export function markNoShow(ctx: DoctorSubgraphContext, id: string): Promise<Appointment> {
  return transition(ctx, id, AppointmentStatus.NO_SHOW, [AppointmentStatus.CONFIRMED], AppointmentEventType.NO_SHOW, false);
}

/**
 * Moves a PENDING/CONFIRMED appointment to another future slot of its (still active) workplace,
 * atomically; the patient or the appointment's staff only.
 */
export async function rescheduleAppointment(ctx: DoctorSubgraphContext, id: string, startsAt: Date): Promise<Appointment> {
  const user = requireUser(ctx.auth);
  const current = await findVisibleAppointment(ctx, id);
  if (user.id !== current.patientId && !(await isStaffOfAppointment(ctx, current)))
    throw new ForbiddenError('You cannot reschedule this appointment');
  const em = ctx.em.fork();
  const wp = await em.findOne(Workplace, { id: current.workplaceId });
  if (!wp?.isActive) throw new ConflictError('The workplace no longer takes bookings', 'WORKPLACE_INACTIVE');
  const slot = requireSlot(wp, startsAt);
  const [, change] = await Promise.all([
    assertFree(em, { ...current, startsAt: slot.startsAt, endsAt: slot.endsAt }, current.id),
    changeContext(em, current, wp),
  ]);
  let released: SlotReleasedEvent[] = [];
  const appointment = await em.transactional(async (tx) => {
    await lockInOrder(tx, [`doctor:${current.doctorId}`, `patient:${current.patientId}`, `workplace:${current.workplaceId}`]);
    const changed = await tx.nativeUpdate(
      Appointment,
      { id, status: { $in: ACTIVE }, version: current.version },
      { startsAt: slot.startsAt, endsAt: slot.endsAt, version: current.version + 1, updatedAt: new Date() },
    );
    if (changed === 0) {
      const now = await tx.findOne(Appointment, { id }, { refresh: true });
      throw new ConflictError(`Cannot reschedule an appointment that is ${now?.status ?? 'gone'}`, 'INVALID_STATUS');
    }
    const fresh = await tx.findOneOrFail(Appointment, { id }, { refresh: true });
    recordChange(tx, fresh, AppointmentEventType.RESCHEDULED, change);
    released = await offerFreedTime(ctx, tx, current); // the old time, freed in this commit
    return fresh;
  });
  await ctx.events.publish(changedEvent(appointment, AppointmentEventType.RESCHEDULED, change));
  await ctx.events.publishSlotReleased(released);
  return appointment;
}
