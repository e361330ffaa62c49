import { randomUUID } from 'node:crypto';
import { ConflictError, NotFoundError, requireUser } from '@hc/graphql';
import { addToOutbox } from '@hc/jobs';
import { lockInOrder } from '@hc/db';
import type { EntityManager } from '@mikro-orm/postgresql';
import { dispense, releaseCtes } from '../prescription/prescription.sql.js';
import { Reservation, ReservationStatus } from './reservation.entity.js';
import type { ReserveInput } from '../order/order.inputs.js';
import { lockAndCheck, validateLines } from '../stock/claim.js';
import { linesValues, sqlRunner } from '../sql.js';
import { myPharmacy } from '../pharmacy/access.js';
import { load } from '../loaders.js';
import type { PharmacySubgraphContext } from '../../context.js';

/** The patient, the owner of the reservation's branch, and admins. */
export async function canSeeReservation(ctx: PharmacySubgraphContext, r: Reservation): Promise<boolean> {
  const user = ctx.auth.user;
  if (!user) return false;
  if (user.role === 'ADMIN' || user.id === r.patientId) return true;
  const pharmacy = await myPharmacy(ctx);
  return !!pharmacy && (await load.branch(ctx, r.branchId))?.pharmacyId === pharmacy.id;
}

export function effectiveStatus(r: Reservation): ReservationStatus {
  return r.status === ReservationStatus.ACTIVE && r.expiresAt.getTime() <= Date.now() ? ReservationStatus.EXPIRED : r.status;
}

/**
 * A patient holds at most `maxActiveReservations` active reservations and `maxReservedUnits` units
 * across them (stock hoarding). Counted under the `patient:<id>` advisory lock, taken before any
 * stock row lock, so parallel reservations of one patient are counted one after another.
 */
async function assertBelowCaps(tx: EntityManager, patientId: string, units: number, caps: PharmacySubgraphContext['caps']) {
  await lockInOrder(tx, [`patient:${patientId}`]);
  const [held] = await sqlRunner(tx)<{ n: number; units: number }>(
    `select count(distinct r.id)::int as n, coalesce(sum(i.quantity), 0)::int as units
       from reservations r left join reservation_items i on i.reservation_id = r.id
      where r.patient_id = ? and r.status = 'ACTIVE' and r.expires_at > now()`,
    [patientId],
  );
  if (held.n >= caps.maxActiveReservations)
    throw new ConflictError(
      `You already hold ${caps.maxActiveReservations} active reservations, the most allowed`,
      'LIMIT_REACHED',
    );
  if (held.units + units > caps.maxReservedUnits)
    throw new ConflictError(`Active reservations may hold at most ${caps.maxReservedUnits} units in all`, 'LIMIT_REACHED');
}

/**
 * Holds stock at one branch for the patient in one transaction (lock, check, insert the hold and
 * its lines at current prices, schedule the expiry job through the outbox).
 */
export async function reserveItems(ctx: PharmacySubgraphContext, input: ReserveInput): Promise<Reservation> {
  const user = requireUser(ctx.auth);
  validateLines(input.items);
  const lines = input.items.map((l) => ({ itemId: l.itemId.toLowerCase(), quantity: l.quantity }));
  const id = await ctx.em.transactional(async (tx) => {
    await assertBelowCaps(
      tx,
      user.id,
      lines.reduce((n, l) => n + l.quantity, 0),
      ctx.caps,
    );
    const run = sqlRunner(tx);
    // Every active hold counts here, the caller's own included: a second reservation is additional stock.
    const claim = await lockAndCheck(run, {
      branchId: input.branchId,
      lines,
      prescriptionId: input.prescriptionId,
      ownHoldsOf: null,
    });
    const reservationId = randomUUID();
    const prescriptionId = claim.prescriptionId;
    if (prescriptionId) {
      // Held units count as dispensed until the hold lapses or is cancelled (then they go back).
      await dispense(run, {
        prescriptionId,
        patientId: user.id,
        branchId: input.branchId,
        reservationId,
        lines: claim.prescriptionLines,
      });
    }
    const [row] = await run<{ expiresAt: Date }>(
      `insert into reservations (id, patient_id, branch_id, prescription_id, status, reserved_at, expires_at)
       values (?, ?, ?, ?, 'ACTIVE', now(), now() + make_interval(secs => ?))
       returning expires_at as "expiresAt"`,
      [reservationId, user.id, input.branchId, prescriptionId, ctx.reservationTtlMinutes * 60],
    );
    const values = linesValues(lines);
    await run(
      `insert into reservation_items (reservation_id, item_id, quantity, unit_price)
       select ?, v.item_id, v.n, s.price from ${values.sql} as v(item_id, n)
         join stock_entries s on s.branch_id = ? and s.item_id = v.item_id`,
      [reservationId, ...values.params, input.branchId],
    );
    addToOutbox(tx, 'reservation.expire', { reservationId, expiresAt: new Date(row.expiresAt).toISOString() });
    if (prescriptionId) {
      addToOutbox(tx, 'prescription.pharmacy-access', {
        prescriptionId,
        pharmacyId: claim.pharmacyId,
        pharmacyUserId: claim.pharmacyOwnerId,
        occurredAt: new Date().toISOString(),
      });
    }
    return reservationId;
  });
  ctx.em.clear();
  return ctx.em.findOneOrFail(Reservation, { id });
}

/** Releases an active hold (the patient or the branch's pharmacy); CONFLICT once it is no longer active. */
export async function cancelReservation(ctx: PharmacySubgraphContext, id: string): Promise<Reservation> {
  const reservation = await ctx.em.findOne(Reservation, { id });
  if (!reservation || !(await canSeeReservation(ctx, reservation))) throw new NotFoundError('Reservation');
  // One statement: the status change and the return of prescription units commit together, once.
  const [row] = await sqlRunner(ctx.em)<{ n: number }>(
    `with src as (
       update reservations set status = 'CANCELLED', updated_at = now()
        where id = ? and status = 'ACTIVE' and expires_at > now() returning id
     ), ${releaseCtes('reservation_id')}
     select (select count(*) from src)::int as n, (select count(*) from relback)::int as released`,
    [id],
  );
  ctx.em.clear();
  const current = await ctx.em.findOneOrFail(Reservation, { id });
  if (row.n === 0)
    throw new ConflictError(`A reservation that is ${effectiveStatus(current)} cannot be cancelled`, 'INVALID_STATUS_TRANSITION');
  return current;
}
