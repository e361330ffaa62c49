import { LockMode, type EntityManager } from '@mikro-orm/postgresql';
import { auditChange } from '@hc/audit';
import {
  BadUserInputError,
  ConflictError,
  ForbiddenError,
  NotFoundError,
  byKeys,
  groupByKeys,
  loader,
  pageSize,
  requireUser,
  toConnection,
  type ConnectionShape,
  type FieldProblem,
} from '@hc/graphql';
import { outbox, type PrescriptionChangedEvent } from '@hc/jobs';
import { Prescription, PrescriptionItem, PrescriptionStatus } from './prescription.entity.js';
import type { IssuePrescriptionInput } from './prescription.inputs.js';
import { Appointment, AppointmentStatus } from '../appointment/appointment.entity.js';
import { Doctor, VerificationStatus } from '../doctor/doctor.entity.js';
import { UserCopy } from '../user/user-copy.entity.js';
import { canSeeAppointment, myDoctorOrNull } from '../access.js';
import type { DoctorSubgraphContext } from '../../context.js';

/** Input limits; the quantity and text bounds are also CHECK constraints (prescriptions migration). */
export const PRESCRIPTION_LIMITS = {
  maxLines: 50,
  maxQuantity: 1000,
  maxDosageLength: 1000,
  maxNotesLength: 2000,
  maxReasonLength: 2000,
  defaultValidDays: 30,
  maxValidDays: 365,
} as const;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const isUuid = (s: unknown): s is string => typeof s === 'string' && UUID.test(s);

/** Appointment states at which a doctor has seen the patient and may prescribe. */
const PRESCRIBABLE = new Set<AppointmentStatus>([AppointmentStatus.CONFIRMED, AppointmentStatus.COMPLETED]);

/** The status clients see: an ACTIVE prescription whose expiresAt is at or before `now` is EXPIRED. */
export function effectiveStatus(p: Pick<Prescription, 'status' | 'expiresAt'>, now: Date = new Date()): PrescriptionStatus {
  if (p.status === 'CANCELLED') return PrescriptionStatus.CANCELLED;
  return p.expiresAt.getTime() <= now.getTime() ? PrescriptionStatus.EXPIRED : PrescriptionStatus.ACTIVE;
}

// ---------------------------------------------------------------------------- loaders

/** Batched: prescriptions by id (malformed ids are simply not found). */
export const prescriptionById = (ctx: DoctorSubgraphContext, id: string) =>
  loader<string, Prescription | null>(ctx, prescriptionById, async (ids) => {
    const valid = ids.filter(isUuid);
    const rows = valid.length ? await ctx.em.find(Prescription, { id: { $in: valid } }) : [];
    return byKeys(ids, rows, (p) => p.id);
  }).load(id);

/** Batched: the lines of each prescription, in the order written. */
export const itemsOfPrescription = (ctx: DoctorSubgraphContext, prescriptionId: string) =>
  loader<string, PrescriptionItem[]>(ctx, itemsOfPrescription, async (ids) =>
    groupByKeys(
      ids,
      await ctx.em.find(PrescriptionItem, { prescriptionId: { $in: [...ids] } }, { orderBy: { position: 'asc' } }),
      (i) => i.prescriptionId,
    ),
  ).load(prescriptionId);

/** Batched: appointments by id (read directly; visibility is decided by the caller). */
const appointmentById = (ctx: DoctorSubgraphContext, id: string) =>
  loader<string, Appointment | null>(ctx, appointmentById, async (ids) =>
    byKeys(ids, await ctx.em.find(Appointment, { id: { $in: [...ids] } }), (a) => a.id),
  ).load(id);

/** Batched: the prescriber's profile, whatever its review state (a pharmacy must see who signed). */
const prescriberById = (ctx: DoctorSubgraphContext, id: string) =>
  loader<string, Doctor | null>(ctx, prescriberById, async (ids) =>
    byKeys(ids, await ctx.em.find(Doctor, { id: { $in: [...ids] } }), (d) => d.id),
  ).load(id);

/** Batched, for the calling pharmacy user: which of these prescriptions the pharmacy side granted them. */
const pharmacyMayRead = (ctx: DoctorSubgraphContext, prescriptionId: string) =>
  loader<string, boolean>(ctx, pharmacyMayRead, async (ids) => {
    const user = requireUser(ctx.auth);
    const rows = await ctx.em
      .getConnection()
      .execute<{ prescription_id: string }[]>(
        `select prescription_id from prescription_pharmacy_access where pharmacy_user_id = ? and prescription_id in (?)`,
        [user.id, [...ids]],
      );
    const granted = new Set(rows.map((r) => r.prescription_id));
    return ids.map((id) => granted.has(id));
  }).load(prescriptionId);

// ---------------------------------------------------------------------------- reading

/**
 * Who may read a prescription: its patient, the issuing doctor, admins, and a pharmacy user the
 * pharmacy side recorded (an order or reservation of theirs uses it). Assistants may not.
 */
export async function canSeePrescription(ctx: DoctorSubgraphContext, p: Prescription): Promise<boolean> {
  const user = ctx.auth.user;
  if (!user) return false;
  if (user.role === 'ADMIN' || user.id === p.patientId || user.id === p.doctorUserId) return true;
  if (user.role === 'PHARMACY') return pharmacyMayRead(ctx, p.id);
  return false;
}

/** prescription(id): the prescription if the caller may see it, NOT_FOUND otherwise (same as a missing id). */
export async function visiblePrescription(ctx: DoctorSubgraphContext, id: string): Promise<Prescription> {
  requireUser(ctx.auth);
  const p = await prescriptionById(ctx, id);
  if (!p || !(await canSeePrescription(ctx, p))) throw new NotFoundError('Prescription');
  return p;
}

/** Federation: `Prescription` by key (the pharmacy's `Order.prescription`), null when not visible. */
export async function resolvePrescriptionReference(ctx: DoctorSubgraphContext, id: string): Promise<Prescription | null> {
  const p = await prescriptionById(ctx, id);
  return p && (await canSeePrescription(ctx, p)) ? p : null;
}

export interface PrescriptionPageArgs {
  status?: PrescriptionStatus | null;
  first?: number | null;
  after?: string | null;
}

/** myPrescriptions: a patient's own, a doctor's issued ones; newest first. EXPIRED filters exactly. */
export async function myPrescriptions(
  ctx: DoctorSubgraphContext,
  args: PrescriptionPageArgs,
): Promise<ConnectionShape<Prescription>> {
  const user = requireUser(ctx.auth);
  const where: Record<string, unknown> = {};
  if (user.role === 'PATIENT') where.patientId = user.id;
  else if (user.role === 'DOCTOR') where.doctorUserId = user.id;
  else throw new ForbiddenError('Only patients and doctors have prescriptions');
  // One instant for the whole page, so the filter and each node's status agree.
  const now = new Date();
  if (args.status === PrescriptionStatus.CANCELLED) where.status = 'CANCELLED';
  else if (args.status === PrescriptionStatus.ACTIVE) Object.assign(where, { status: 'ACTIVE', expiresAt: { $gt: now } });
  else if (args.status === PrescriptionStatus.EXPIRED) Object.assign(where, { status: 'ACTIVE', expiresAt: { $lte: now } });
  const cursor = await ctx.em.findByCursor(Prescription, {
    where,
    first: pageSize(args.first),
    after: args.after ?? undefined,
    orderBy: { issuedAt: 'desc', id: 'desc' },
  });
  return toConnection(cursor);
}

/** Prescription.appointment: the visit, for those who may see it; a pharmacy user sees the prescription only. */
export async function appointmentOfPrescription(ctx: DoctorSubgraphContext, p: Prescription): Promise<Appointment> {
  const a = await appointmentById(ctx, p.appointmentId);
  if (!a) throw new NotFoundError('Appointment');
  if (!(await canSeeAppointment(ctx, a))) throw new ForbiddenError('Only the participants of the visit see it');
  return a;
}

/** Prescription.doctor: the prescriber's profile. */
export async function prescriberOf(ctx: DoctorSubgraphContext, p: Prescription): Promise<Doctor> {
  const d = await prescriberById(ctx, p.doctorId);
  if (!d) throw new NotFoundError('Doctor');
  return d;
}

// ---------------------------------------------------------------------------- issuing

interface CleanLine {
  itemId: string;
  quantity: number;
  dosageInstructions: string | null;
}

/** Every problem of the input at once, each naming its field (`items[1].quantity`). */
function checkIssueInput(input: IssuePrescriptionInput): { lines: CleanLine[]; notes: string | null; validDays: number } {
  const L = PRESCRIPTION_LIMITS;
  const problems: FieldProblem[] = [];
  const bad = (field: string, message: string) => problems.push({ field, message });
  if (!isUuid(input.appointmentId)) bad('appointmentId', 'appointmentId is not a valid id');
  const items = input.items ?? [];
  if (items.length === 0) bad('items', 'at least one item is required');
  if (items.length > L.maxLines) bad('items', `at most ${L.maxLines} items`);
  const seen = new Set<string>();
  const lines: CleanLine[] = items.map((line, i) => {
    const f = (name: string) => `items[${i}].${name}`;
    if (!isUuid(line.itemId)) bad(f('itemId'), 'itemId is not a valid id');
    else if (seen.has(line.itemId.toLowerCase())) bad(f('itemId'), 'the same item is listed twice; prescribe it once');
    else seen.add(line.itemId.toLowerCase());
    if (!Number.isInteger(line.quantity) || line.quantity < 1 || line.quantity > L.maxQuantity)
      bad(f('quantity'), `quantity must be between 1 and ${L.maxQuantity}`);
    const dosage = line.dosageInstructions?.trim() || null;
    if (dosage && dosage.length > L.maxDosageLength)
      bad(f('dosageInstructions'), `dosageInstructions is at most ${L.maxDosageLength} characters`);
    return { itemId: line.itemId?.toLowerCase(), quantity: line.quantity, dosageInstructions: dosage };
  });
  const notes = input.notes?.trim() || null;
  if (notes && notes.length > L.maxNotesLength) bad('notes', `notes is at most ${L.maxNotesLength} characters`);
  const validDays = input.validDays ?? L.defaultValidDays;
  if (!Number.isInteger(validDays) || validDays < 1 || validDays > L.maxValidDays)
    bad('validDays', `validDays must be between 1 and ${L.maxValidDays}`);
  if (problems.length) throw new BadUserInputError(problems[0].message, problems);
  return { lines, notes, validDays };
}

/** The full current state for the pharmacy (`prescription.changed`). */
function changedEvent(p: Prescription, lines: PrescriptionItem[]): PrescriptionChangedEvent {
  return {
    prescriptionId: p.id,
    patientId: p.patientId,
    doctorId: p.doctorId,
    doctorUserId: p.doctorUserId,
    appointmentId: p.appointmentId,
    status: p.status,
    issuedAt: p.issuedAt.toISOString(),
    expiresAt: p.expiresAt.toISOString(),
    items: [...lines]
      .sort((a, b) => a.position - b.position)
      .map((l) => ({ itemId: l.itemId, quantity: l.quantity, dosageInstructions: l.dosageInstructions ?? null })),
    version: p.version,
    occurredAt: p.updatedAt.toISOString(),
  };
}

/** Names for the patient's message, read before the transaction. */
async function names(em: EntityManager, p: Pick<Prescription, 'patientId' | 'doctorUserId'>) {
  const users = await em.find(UserCopy, { userId: { $in: [p.patientId, p.doctorUserId] } });
  const name = (id: string) => users.find((u) => u.userId === id)?.name ?? '';
  return { doctorName: name(p.doctorUserId), patientName: name(p.patientId) };
}

/** Adds the state event and the patient's notice to the caller's transaction. */
function recordChange(
  tx: EntityManager,
  p: Prescription,
  lines: PrescriptionItem[],
  who: { doctorName: string; patientName: string },
): void {
  outbox.add(tx, 'prescription.changed', changedEvent(p, lines));
  const cancelled = p.status === 'CANCELLED';
  outbox.notify(tx, {
    idempotencyKey: `prescription:${p.id}:v${p.version}:${cancelled ? 'cancelled' : 'issued'}:${p.patientId}`,
    userId: p.patientId,
    template: cancelled ? 'prescription.cancelled' : 'prescription.issued',
    variables: {
      prescriptionId: p.id,
      doctorName: who.doctorName,
      patientName: who.patientName,
      itemCount: lines.length,
      expiresAt: p.expiresAt.toISOString(),
      ...(cancelled ? { reason: p.cancellationReason ?? '' } : {}),
    },
  });
}

/**
 * issuePrescription: the APPROVED doctor of a CONFIRMED or COMPLETED appointment prescribes for
 * its patient. Whether each item exists and needs a prescription is the pharmacy's to decide at
 * dispensing (this subgraph cannot see the catalogue): unknown or non-prescription items are not
 * covered there. The rows, the `prescription.changed` event (version 1) and the patient's notice
 * commit together.
 */
export async function issuePrescription(ctx: DoctorSubgraphContext, input: IssuePrescriptionInput): Promise<Prescription> {
  requireUser(ctx.auth);
  const { lines, notes, validDays } = checkIssueInput(input);
  const doctor = await myDoctorOrNull(ctx);
  if (!doctor) throw new ForbiddenError('Only doctors prescribe');
  if (doctor.verificationStatus !== VerificationStatus.APPROVED)
    throw new ForbiddenError('Your doctor profile must be approved before you prescribe');
  const em = ctx.em.fork();
  const seen = await em.findOne(Appointment, { id: input.appointmentId });
  if (!seen || seen.doctorId !== doctor.id) throw new NotFoundError('Appointment');
  const who = await names(em, { patientId: seen.patientId, doctorUserId: doctor.userId });
  return em.transactional(async (tx) => {
    // FOR SHARE: a cancellation of the visit waits for this prescription, or this one sees it.
    const a = await tx.findOneOrFail(Appointment, { id: seen.id }, { lockMode: LockMode.PESSIMISTIC_READ, refresh: true });
    if (!PRESCRIBABLE.has(a.status))
      throw new ConflictError(`Cannot prescribe at an appointment that is ${a.status}`, 'INVALID_STATUS');
    const issuedAt = new Date();
    const p = tx.create(Prescription, {
      patientId: a.patientId,
      doctorId: doctor.id,
      doctorUserId: doctor.userId,
      appointmentId: a.id,
      notes,
      status: 'ACTIVE',
      issuedAt,
      expiresAt: new Date(issuedAt.getTime() + validDays * 24 * 3600_000),
      version: 1,
      updatedAt: issuedAt,
    } as Prescription);
    // The lines reference the prescription by a plain id column, so the unit of work cannot order
    // the inserts by itself: the prescription row goes first.
    await tx.flush();
    const rows = lines.map((l, position) =>
      tx.create(PrescriptionItem, { prescriptionId: p.id, position, ...l } as PrescriptionItem),
    );
    recordChange(tx, p, rows, who);
    await tx.flush();
    await auditChange(tx, 'doctor', ctx, {
      action: 'CREATE',
      resourceType: 'Prescription',
      resourceId: p.id,
      patientId: p.patientId,
      fields: ['items', 'notes'],
    });
    return p;
  });
}

/**
 * cancelPrescription: the issuing doctor, while it is ACTIVE (not expired). A conditional update,
 * so of two racing cancels one wins and the other gets CONFLICT; the event carries version + 1.
 * Dispensed units stay dispensed; the pharmacy refuses further dispensing once its copy says CANCELLED.
 */
export async function cancelPrescription(
  ctx: DoctorSubgraphContext,
  id: string,
  reason: string | null | undefined,
): Promise<Prescription> {
  const user = requireUser(ctx.auth);
  const text = reason?.trim() || null;
  if (text && text.length > PRESCRIPTION_LIMITS.maxReasonLength)
    throw BadUserInputError.field('reason', `reason is at most ${PRESCRIPTION_LIMITS.maxReasonLength} characters`);
  const current = await visiblePrescription(ctx, id);
  if (current.doctorUserId !== user.id) throw new ForbiddenError('Only the issuing doctor cancels a prescription');
  const em = ctx.em.fork();
  const who = await names(em, current);
  return em.transactional(async (tx) => {
    const changed = await tx.getConnection().execute<{ id: string }[]>(
      `update prescriptions
         set status = 'CANCELLED', cancelled_at = now(), cancellation_reason = ?, version = version + 1, updated_at = now()
       where id = ? and doctor_user_id = ? and status = 'ACTIVE' and expires_at > now()
       returning id`,
      [text, current.id, user.id],
      'all',
      tx.getTransactionContext(),
    );
    if (changed.length === 0) {
      const now = await tx.findOneOrFail(Prescription, { id: current.id }, { refresh: true });
      throw new ConflictError(`Cannot cancel a prescription that is ${effectiveStatus(now)}`, 'INVALID_STATUS');
    }
    const p = await tx.findOneOrFail(Prescription, { id: current.id }, { refresh: true });
    const lines = await tx.find(PrescriptionItem, { prescriptionId: p.id }, { orderBy: { position: 'asc' } });
    recordChange(tx, p, lines, who);
    await auditChange(tx, 'doctor', ctx, {
      action: 'UPDATE',
      resourceType: 'Prescription',
      resourceId: p.id,
      patientId: p.patientId,
      fields: ['status', 'cancellationReason'],
    });
    return p;
  });
}
