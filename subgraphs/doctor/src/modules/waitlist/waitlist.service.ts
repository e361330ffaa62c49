/**
 * Waitlist rules: a patient waits for any slot of one workplace inside a window; when a slot in
 * it frees up, the longest-waiting patient (created_at order) whose window contains it gets an
 * offer, and the slot is held for them alone until the offer expires.
 *
 * What guarantees what:
 * - The hold is an `appointments` row with status HELD (see waitlist.entity.ts). It takes part in
 *   the doctor and patient exclusion constraints, so a competing booking or reschedule into that
 *   time fails in the database (23P01 → CONFLICT/SLOT_UNAVAILABLE) whatever the application
 *   checked before. Appointment queries (lists, lookups, care state) leave HELD rows out.
 * - One offer per entry, one entry per hold: offering is a conditional update of a WAITING entry
 *   (a second freed slot finds it OFFERED and moves on) plus the unique index on the OFFERED
 *   entries' hold_id. Accepting is a conditional update of the HELD row (this patient, this entry,
 *   hold not yet expired); the entry becomes BOOKED in the same transaction.
 * - Locks: every change of holds and offers takes `workplace:<id>` through `lockInOrder` (accept,
 *   like booking, takes doctor, patient and workplace), so offers of one workplace are decided one
 *   at a time, in the same order the appointment service uses (no deadlock).
 * - Transaction boundary: the hook functions (`offerFreedTime`, `offerAfterHoursChange`) join the
 *   caller's transaction: the slot is offered in the same commit that freed it, with the offer
 *   notice and the expiry job in the outbox. The other writes open their own transaction.
 * - Expiry is on time and exact on read: a delayed `waitlist.offer-expire` job moves the offer on
 *   (conditional on the hold's id and expiry, so a repeated or late job does nothing); an entry
 *   whose offerExpiresAt passed reads as EXPIRED, accepting it is refused, and touching it
 *   (myWaitlist, accept, leave) moves the offer on at once.
 * - Slot events (`slotReleased`): every path that frees a slot computes, inside its transaction,
 *   the future slots no waiting patient took, and publishes them after commit. An offered slot
 *   publishes nothing while held; releasing the hold with nobody left publishes it once.
 *   Working-hours changes publish nothing (clients re-query availableSlots after them).
 */
import { randomUUID } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import { BadUserInputError, ConflictError, ForbiddenError, NotFoundError, requireUser } from '@hc/graphql';
import { lockInOrder } from '@hc/db';
import { addToOutbox, outbox, type SlotReleasedEvent } from '@hc/jobs';
import { HELD, WaitlistEntry, WaitlistStatus, effectiveStatus } from './waitlist.entity.js';
import type { JoinWaitlistInput } from './waitlist.inputs.js';
import { Appointment, AppointmentEventType, FREED_STATUSES_SQL } from '../appointment/appointment.entity.js';
import { changeContext, changedEvent, recordChange } from '../appointment/appointment.notify.js';
import { Doctor, VerificationStatus } from '../doctor/doctor.entity.js';
import { Workplace } from '../workplace/workplace.entity.js';
import { type Slot, generateSlots } from '../availability/slots.js';

/** Longest window a patient may wait in (its own limit: a waitlist entry is not a slot listing). */
export const MAX_WAITLIST_WINDOW_DAYS = 31;
import { staffOf } from '../access.js';
import { assertBelowCap } from '../appointment/booking-rules.js';
import { publishCareState } from '../care.js';
import type { AppointmentEvents } from '../appointment/appointment.events.js';
import type { DoctorSubgraphContext } from '../../context.js';

/** Where released slots are announced after commit (ctx.events in requests, a publisher in jobs). */
export type SlotPublisher = Pick<AppointmentEvents, 'publishSlotReleased'>;

export const DEFAULT_OFFER_MINUTES = 15;
/** WAITING or OFFERED entries a patient may have at once. */
export const MAX_ACTIVE_ENTRIES = 10;
/** Candidates examined per freed slot (those who meanwhile booked an overlapping time are skipped). */
const CANDIDATES_PER_SLOT = 20;
/** Waiting windows re-examined after a working-hours change. */
const WINDOWS_AFTER_HOURS_CHANGE = 100;

type Minutes = Pick<DoctorSubgraphContext, 'waitlistOfferMinutes'>;
const offerMinutes = (ctx: Minutes) => ctx.waitlistOfferMinutes ?? DEFAULT_OFFER_MINUTES;

function rows<T>(tx: EntityManager, sql: string, params: unknown[]): Promise<T[]> {
  return tx.getConnection().execute<T[]>(sql, params, 'all', tx.getTransactionContext());
}

const asDate = (v: Date | string) => (v instanceof Date ? v : new Date(v));

/** The constraint a 23P01 came from, if the error is one. */
function exclusionConstraint(error: unknown): string | null {
  const e = error as { code?: unknown; sqlState?: unknown; constraint?: unknown; message?: unknown } | null;
  if (e?.code !== '23P01' && e?.sqlState !== '23P01' && !String(e?.message ?? '').includes('exclusion constraint')) return null;
  if (typeof e?.constraint === 'string') return e.constraint;
  return /"(appointments_\w+)"/.exec(String(e?.message ?? ''))?.[1] ?? 'unknown';
}

interface OfferTarget {
  wp: Workplace;
  doctor: Doctor;
}

/**
 * Offers one free slot to the longest-waiting patient whose window contains it and who has no
 * overlapping appointment. Each attempt runs in a savepoint: a patient who booked an
 * overlapping time meanwhile (patient constraint) is skipped; a slot someone else took (doctor
 * constraint) ends the attempt. Returns `offered`, `taken` (someone else has the time) or
 * `unclaimed` (no waiting patient could take it: the slot is public).
 */
async function offerSlot(
  tx: EntityManager,
  t: OfferTarget,
  slot: Slot,
  minutes: number,
): Promise<'offered' | 'taken' | 'unclaimed'> {
  const candidates = await rows<{ id: string; patient_id: string }>(
    tx,
    `select e.id, e.patient_id from waitlist_entries e
     where e.workplace_id = ? and e.status = 'WAITING' and e.from_at <= ? and e.to_at >= ?
       and not exists (select 1 from appointments a where a.patient_id = e.patient_id and a.status not in ${FREED_STATUSES_SQL}
                       and a.starts_at < ? and a.ends_at > ?)
     order by e.created_at, e.id limit ${CANDIDATES_PER_SLOT}`,
    [t.wp.id, slot.startsAt, slot.endsAt, slot.endsAt, slot.startsAt],
  );
  for (const c of candidates) {
    const holdId = randomUUID();
    let expiresAt: Date | null;
    try {
      expiresAt = await tx.transactional(async (sp) => {
        const offered = await rows<{ offer_expires_at: Date | string }>(
          sp,
          `update waitlist_entries set status = 'OFFERED', hold_id = ?, offered_starts_at = ?, offered_ends_at = ?,
             offer_expires_at = clock_timestamp() + make_interval(secs => ?), updated_at = clock_timestamp()
           where id = ? and status = 'WAITING' returning offer_expires_at`,
          [holdId, slot.startsAt, slot.endsAt, minutes * 60, c.id],
        );
        if (offered.length === 0) return null;
        const at = asDate(offered[0].offer_expires_at);
        await rows(
          sp,
          `insert into appointments (id, patient_id, doctor_id, doctor_user_id, workplace_id, starts_at, ends_at, status,
             hold_expires_at, waitlist_entry_id)
           values (?, ?, ?, ?, ?, ?, ?, '${HELD}', ?, ?)`,
          [holdId, c.patient_id, t.doctor.id, t.doctor.userId, t.wp.id, slot.startsAt, slot.endsAt, at, c.id],
        );
        return at;
      });
    } catch (error) {
      const constraint = exclusionConstraint(error);
      if (!constraint) throw error;
      if (constraint === 'appointments_patient_no_overlap') continue;
      return 'taken';
    }
    if (!expiresAt) continue;
    outbox.notify(tx, {
      idempotencyKey: `waitlist:${c.id}:offer:${holdId}`,
      userId: c.patient_id,
      template: 'waitlist.offered',
      variables: {
        entryId: c.id,
        doctorName: t.doctor.name ?? '',
        workplaceName: t.wp.name,
        startsAt: slot.startsAt.toISOString(),
        timeZone: t.wp.timeZone,
        expiresAt: expiresAt.toISOString(),
      },
    });
    addToOutbox(tx, 'waitlist.offer-expire', { entryId: c.id, holdId, expiresAt: expiresAt.toISOString() });
    return 'offered';
  }
  return 'unclaimed';
}

interface FreeSlots {
  offers: number;
  /** Free future slots no waiting patient took: bookable by anyone once the transaction commits. */
  released: SlotReleasedEvent[];
}

const releasedSlot = (doctorId: string, slot: Slot): SlotReleasedEvent => ({
  doctorId,
  workplaceId: slot.workplaceId,
  startsAt: slot.startsAt.toISOString(),
  endsAt: slot.endsAt.toISOString(),
  occurredAt: new Date().toISOString(),
});

/**
 * Offers every free slot of the workplace inside [from, to) to the waiting queue. Inside the
 * caller's transaction; takes the workplace lock. Returns how many offers were made and the
 * free slots nobody waiting took (none when the workplace takes no bookings).
 */
async function offerFreeSlots(tx: EntityManager, workplaceId: string, from: Date, to: Date, minutes: number): Promise<FreeSlots> {
  await lockInOrder(tx, [`workplace:${workplaceId}`]);
  const result: FreeSlots = { offers: 0, released: [] };
  const wp = await tx.findOne(Workplace, { id: workplaceId });
  const doctor = wp && (await tx.findOne(Doctor, { id: wp.doctorId }));
  if (!wp?.isActive || !doctor || doctor.verificationStatus !== VerificationStatus.APPROVED) return result;
  const now = new Date();
  const start = from > now ? from : now;
  if (!(start < to)) return result;
  const waiting = await rows<{ n: number }>(
    tx,
    `select count(*)::int as n from waitlist_entries where workplace_id = ? and status = 'WAITING' and from_at < ? and to_at > ?`,
    [workplaceId, to, start],
  );
  const someoneWaits = (waiting[0]?.n ?? 0) > 0;
  const taken = await rows<{ starts_at: Date | string; ends_at: Date | string }>(
    tx,
    `select starts_at, ends_at from appointments where doctor_id = ? and status not in ${FREED_STATUSES_SQL}
     and starts_at < ? and ends_at > ?`,
    [doctor.id, to, start],
  );
  const busy = taken.map((r) => ({ startsAt: asDate(r.starts_at), endsAt: asDate(r.ends_at) }));
  for (const slot of generateSlots(wp, start, to)) {
    if (busy.some((b) => b.startsAt < slot.endsAt && b.endsAt > slot.startsAt)) continue;
    const outcome = someoneWaits ? await offerSlot(tx, { wp, doctor }, slot, minutes) : 'unclaimed';
    if (outcome === 'offered') result.offers++;
    else if (outcome === 'unclaimed') result.released.push(releasedSlot(doctor.id, slot));
  }
  return result;
}

/**
 * Hook for the appointment service: call INSIDE the transaction that freed [startsAt, endsAt)
 * of a workplace (cancellation, no-show, the old time of a reschedule), after the row changed.
 * If a waiting patient's window contains a slot there, it is held and offered in the same
 * commit. Returns the future slots that nobody took: publish them (`ctx.events.publishSlotReleased`)
 * AFTER the commit.
 */
export async function offerFreedTime(
  ctx: Minutes,
  tx: EntityManager,
  freed: { workplaceId: string; startsAt: Date; endsAt: Date },
): Promise<SlotReleasedEvent[]> {
  if (freed.endsAt.getTime() <= Date.now()) return [];
  return (await offerFreeSlots(tx, freed.workplaceId, freed.startsAt, freed.endsAt, offerMinutes(ctx))).released;
}

/**
 * Hook for the workplace service: call INSIDE the transaction that changed a workplace's working
 * hours, after the change was flushed. New free slots in waiting windows are offered.
 */
export async function offerAfterHoursChange(ctx: Minutes, tx: EntityManager, workplaceId: string): Promise<void> {
  const windows = await rows<{ from_at: Date | string; to_at: Date | string }>(
    tx,
    `select from_at, to_at from waitlist_entries where workplace_id = ? and status = 'WAITING' and to_at > clock_timestamp()
     order by created_at, id limit ${WINDOWS_AFTER_HOURS_CHANGE}`,
    [workplaceId],
  );
  for (const w of windows) await offerFreeSlots(tx, workplaceId, asDate(w.from_at), asDate(w.to_at), offerMinutes(ctx));
}

/**
 * Ends an offer (EXPIRED or CANCELLED), removes its hold and offers the slot to the next in line;
 * with nobody left, the slot is public again. Conditional on the entry still offering `holdId`
 * and, for expiry, on the expiry having passed — a repeated job or a lost race changes nothing.
 * Inside the caller's transaction. Returns null when this call did not end the offer, else the
 * slots that became public (to publish after commit).
 */
async function endOffer(
  tx: EntityManager,
  entry: Pick<WaitlistEntry, 'id' | 'workplaceId'>,
  holdId: string,
  to: WaitlistStatus.EXPIRED | WaitlistStatus.CANCELLED,
  minutes: number,
): Promise<SlotReleasedEvent[] | null> {
  await lockInOrder(tx, [`workplace:${entry.workplaceId}`]);
  const expiry = to === WaitlistStatus.EXPIRED ? '<=' : '>';
  const ended = await rows<{ offered_starts_at: Date | string; offered_ends_at: Date | string }>(
    tx,
    `update waitlist_entries set status = ?, updated_at = clock_timestamp()
     where id = ? and status = 'OFFERED' and hold_id = ? and offer_expires_at ${expiry} clock_timestamp()
     returning offered_starts_at, offered_ends_at`,
    [to, entry.id, holdId],
  );
  if (ended.length === 0) return null;
  await rows(tx, `delete from appointments where id = ? and status = '${HELD}' and waitlist_entry_id = ? returning id`, [
    holdId,
    entry.id,
  ]);
  const freed = await offerFreeSlots(
    tx,
    entry.workplaceId,
    asDate(ended[0].offered_starts_at),
    asDate(ended[0].offered_ends_at),
    minutes,
  );
  return freed.released;
}

/**
 * The expiry job's work (and a read's, when it touches an expired offer): ends the offer if it
 * is still the one named and its time passed, and moves it on; a slot nobody waiting takes is
 * announced through `slots` after commit. `ended`: this call moved it on; `gone`: nothing to do
 * (accepted, left, already moved on — a repeated job lands here); `early`: the offer still runs
 * (the job retries).
 */
export async function expireOffer(
  em: EntityManager,
  event: { entryId: string; holdId: string },
  minutes: number = DEFAULT_OFFER_MINUTES,
  slots?: SlotPublisher,
): Promise<'ended' | 'gone' | 'early'> {
  const current = async () => {
    const e = await em.fork().findOne(WaitlistEntry, { id: event.entryId });
    return e?.storedStatus === WaitlistStatus.OFFERED && e.holdId === event.holdId ? e : null;
  };
  const entry = await current();
  if (!entry) return 'gone';
  const released = await em.fork().transactional((tx) => endOffer(tx, entry, event.holdId, WaitlistStatus.EXPIRED, minutes));
  if (released) {
    await slots?.publishSlotReleased(released);
    return 'ended';
  }
  return (await current()) ? 'early' : 'gone';
}
/** Moves on every offer among `entries` whose time passed (exact on read). Returns whether any changed. */
async function settleExpired(ctx: DoctorSubgraphContext, entries: WaitlistEntry[]): Promise<boolean> {
  let changed = false;
  for (const e of entries) {
    if (e.storedStatus !== WaitlistStatus.OFFERED || effectiveStatus(e) !== WaitlistStatus.EXPIRED || !e.holdId) continue;
    changed =
      (await expireOffer(ctx.em, { entryId: e.id, holdId: e.holdId }, offerMinutes(ctx), ctx.events)) === 'ended' || changed;
  }
  return changed;
}

function requirePatient(ctx: DoctorSubgraphContext) {
  const user = requireUser(ctx.auth);
  if (user.role !== 'PATIENT') throw new ForbiddenError('Only patients use the waitlist');
  return user;
}

/** The caller's own entry, fresh from the database; NOT_FOUND for anyone else's. */
async function ownEntry(ctx: DoctorSubgraphContext, id: string): Promise<WaitlistEntry> {
  const user = requirePatient(ctx);
  const entry = await ctx.em.fork().findOne(WaitlistEntry, { id, patientId: user.id });
  if (!entry) throw new NotFoundError('Waitlist entry');
  return entry;
}

/** Patient: own entries, newest first; offers past their time are moved on before answering. */
export async function listMyWaitlist(ctx: DoctorSubgraphContext): Promise<WaitlistEntry[]> {
  const user = requirePatient(ctx);
  const find = () =>
    ctx.em.fork().find(WaitlistEntry, { patientId: user.id }, { orderBy: { createdAt: 'desc', id: 'desc' }, limit: 100 });
  const entries = await find();
  return (await settleExpired(ctx, entries)) ? find() : entries;
}

/**
 * Patient: waits for any slot of an active workplace inside [from, to): the window in the future,
 * at most MAX_WAITLIST_WINDOW_DAYS long; at most MAX_ACTIVE_ENTRIES active entries per patient
 * (counted under the patient lock, so racing joins cannot exceed it).
 */
export async function joinWaitlist(ctx: DoctorSubgraphContext, input: JoinWaitlistInput): Promise<WaitlistEntry> {
  const user = requirePatient(ctx);
  const { from, to } = input;
  if (!(from.getTime() > Date.now())) throw BadUserInputError.field('from', 'from must be in the future');
  if (!(to > from)) throw BadUserInputError.field('to', 'to must be after from');
  if (to.getTime() - from.getTime() > MAX_WAITLIST_WINDOW_DAYS * 24 * 3600_000)
    throw BadUserInputError.field('to', `the window is limited to ${MAX_WAITLIST_WINDOW_DAYS} days`);
  const em = ctx.em.fork();
  const wp = await em.findOne(Workplace, { id: input.workplaceId });
  const doctor = wp && (await em.findOne(Doctor, { id: wp.doctorId }));
  if (!wp?.isActive || !doctor || doctor.verificationStatus !== VerificationStatus.APPROVED) throw new NotFoundError('Workplace');
  return em.transactional(async (tx) => {
    await lockInOrder(tx, [`patient:${user.id}`]);
    const active = await rows<{ n: number }>(
      tx,
      `select count(*)::int as n from waitlist_entries where patient_id = ?
         and ((status = 'WAITING' and to_at > clock_timestamp()) or (status = 'OFFERED' and offer_expires_at > clock_timestamp()))`,
      [user.id],
    );
    if ((active[0]?.n ?? 0) >= MAX_ACTIVE_ENTRIES)
      throw BadUserInputError.field('workplaceId', `at most ${MAX_ACTIVE_ENTRIES} active waitlist entries per patient`);
    const entry = tx.create(WaitlistEntry, {
      patientId: user.id,
      doctorId: doctor.id,
      workplaceId: wp.id,
      from,
      to,
    } as WaitlistEntry);
    await tx.flush();
    return entry;
  });
}

/**
 * Patient: leaves an own WAITING or OFFERED entry (→ CANCELLED). Leaving an offer releases the
 * hold to the next patient in line, or to everyone when nobody waits.
 */
export async function leaveWaitlist(ctx: DoctorSubgraphContext, id: string): Promise<WaitlistEntry> {
  const entry = await ownEntry(ctx, id);
  const status = effectiveStatus(entry);
  let left = false;
  if (status === WaitlistStatus.WAITING) {
    left =
      (await ctx.em
        .fork()
        .nativeUpdate(
          WaitlistEntry,
          { id, storedStatus: WaitlistStatus.WAITING },
          { storedStatus: WaitlistStatus.CANCELLED, updatedAt: new Date() },
        )) === 1;
  } else if (status === WaitlistStatus.OFFERED && entry.holdId) {
    const holdId = entry.holdId;
    const released = await ctx.em
      .fork()
      .transactional((tx) => endOffer(tx, entry, holdId, WaitlistStatus.CANCELLED, offerMinutes(ctx)));
    left = released !== null;
    if (released) await ctx.events.publishSlotReleased(released);
  }
  if (!left) {
    await settleExpired(ctx, [entry]);
    const now = await ownEntry(ctx, id);
    throw new ConflictError(`Cannot leave a waitlist entry that is ${effectiveStatus(now)}`, 'INVALID_STATUS');
  }
  return ownEntry(ctx, id);
}

/**
 * Patient: books the slot held for their OFFERED entry. Conditional update of the hold (this
 * patient, this entry, not yet expired): of any number of racing accepts one wins; after the
 * expiry it is refused (CONFLICT/OFFER_EXPIRED) and the offer moves on. The booking then sends
 * the same notices and care state as bookAppointment, and the BOOKED event after commit.
 */
export async function acceptWaitlistOffer(ctx: DoctorSubgraphContext, id: string): Promise<Appointment> {
  const entry = await ownEntry(ctx, id);
  const status = effectiveStatus(entry);
  const expired = async () => {
    await settleExpired(ctx, [entry]);
    return new ConflictError('The offer has expired', 'OFFER_EXPIRED');
  };
  if (status === WaitlistStatus.EXPIRED && entry.storedStatus === WaitlistStatus.OFFERED) throw await expired();
  if (status !== WaitlistStatus.OFFERED || !entry.holdId)
    throw new ConflictError(`Cannot accept a waitlist entry that is ${status}`, 'INVALID_STATUS');
  const holdId = entry.holdId;
  const em = ctx.em.fork();
  const wp = await em.findOne(Workplace, { id: entry.workplaceId });
  if (!wp?.isActive) throw new ConflictError('The workplace no longer takes bookings', 'WORKPLACE_INACTIVE');
  const doctor = await em.findOneOrFail(Doctor, { id: entry.doctorId });
  const change = await changeContext(em, {
    patientId: entry.patientId,
    doctorUserId: doctor.userId,
    workplaceId: entry.workplaceId,
  });
  const appointment = await em.transactional(async (tx) => {
    await lockInOrder(tx, [`doctor:${doctor.id}`, `patient:${entry.patientId}`, `workplace:${entry.workplaceId}`]);
    // What bookAppointment demands holds here too, read under the locks: an approved doctor (a
    // review may have withdrawn it since the offer) and the patient's cap on upcoming appointments.
    // Refused, the hold stays until its offer expires.
    const { verificationStatus } = await tx.findOneOrFail(Doctor, { id: doctor.id }, { refresh: true });
    if (verificationStatus !== VerificationStatus.APPROVED)
      throw new ConflictError('This doctor is not approved and cannot be booked', 'DOCTOR_NOT_APPROVED');
    await assertBelowCap(tx, entry.patientId, ctx.caps.maxUpcomingAppointments);
    const booked = await rows<{ id: string }>(
      tx,
      `update appointments set status = 'PENDING', hold_expires_at = null, booked_by = patient_id, updated_at = clock_timestamp()
       where id = ? and status = '${HELD}' and patient_id = ? and waitlist_entry_id = ? and hold_expires_at > clock_timestamp()
       returning id`,
      [holdId, entry.patientId, entry.id],
    );
    if (booked.length === 0) return null;
    await rows(
      tx,
      `update waitlist_entries set status = 'BOOKED', updated_at = clock_timestamp() where id = ? and status = 'OFFERED' and hold_id = ? returning id`,
      [entry.id, holdId],
    );
    const a = await tx.findOneOrFail(Appointment, { id: holdId }, { refresh: true });
    recordChange(tx, a, AppointmentEventType.BOOKED, change);
    await tx.flush();
    // The patient's own booking grants the care team, as bookAppointment does.
    await publishCareState(tx, a.patientId, [a.doctorUserId, ...(await staffOf(tx, a.workplaceId))], { appointmentId: a.id });
    return a;
  });
  if (!appointment) {
    const now = await ownEntry(ctx, id);
    if (effectiveStatus(now) === WaitlistStatus.EXPIRED && now.storedStatus === WaitlistStatus.OFFERED) throw await expired();
    throw new ConflictError(`Cannot accept a waitlist entry that is ${effectiveStatus(now)}`, 'INVALID_STATUS');
  }
  await ctx.events.publish(changedEvent(appointment, AppointmentEventType.BOOKED, change));
  return appointment;
}
