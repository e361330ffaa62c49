import { ForbiddenError, requireUser } from '@hc/graphql';
import { FulfilmentStatus, type Dispense, type PrescriptionFulfilment } from './prescription.types.js';
import { myPharmacy } from '../pharmacy/access.js';
import { canSeeOrder } from '../order/order.service.js';
import { canSeeReservation } from '../reservation/reservation.service.js';
import { load } from '../loaders.js';
import type { Order } from '../order/order.entity.js';
import type { Reservation } from '../reservation/reservation.entity.js';
import type { PharmacySubgraphContext } from '../../context.js';

/**
 * What was dispensed against a prescription. Readers: the patient, admins, the prescribing
 * doctor's user, and a pharmacy whose pharmacy holds an order or reservation on it; anyone else
 * signed in gets FORBIDDEN. A prescription the pharmacy has not heard of yet (its event still in
 * flight) has nothing to reveal and reads as NOT_DISPENSED with no lines.
 */
export async function fulfilment(ctx: PharmacySubgraphContext, prescriptionId: string): Promise<PrescriptionFulfilment> {
  const user = requireUser(ctx.auth);
  const copy = await load.prescriptionCopy(ctx, prescriptionId);
  if (!copy) return { status: FulfilmentStatus.NOT_DISPENSED, lines: [], dispenses: [] };
  let allowed = user.role === 'ADMIN' || user.id === copy.patientId || user.id === copy.doctorUserId;
  if (!allowed && user.role === 'PHARMACY') {
    const pharmacy = await myPharmacy(ctx);
    allowed = !!pharmacy && (await load.pharmacyHolds(ctx, pharmacy.id, copy.id));
  }
  if (!allowed) throw new ForbiddenError('Only the patient, the prescriber, admins and a dispensing pharmacy see this');
  const dispensed = copy.lines.reduce((n, l) => n + l.dispensed, 0);
  const complete = copy.lines.length > 0 && copy.lines.every((l) => l.remaining === 0);
  return {
    status: complete
      ? FulfilmentStatus.DISPENSED
      : dispensed > 0
        ? FulfilmentStatus.PARTIALLY_DISPENSED
        : FulfilmentStatus.NOT_DISPENSED,
    lines: copy.lines,
    dispenses: await load.dispenses(ctx, copy.id),
  };
}

/** The dispense's order when the caller may see it (the patient, its pharmacy, admins); else null. */
export async function dispenseOrder(ctx: PharmacySubgraphContext, d: Dispense): Promise<Order | null> {
  if (!d.orderId) return null;
  const order = await load.order(ctx, d.orderId);
  return order && (await canSeeOrder(ctx, order)) ? order : null;
}

/** The dispense's reservation when the caller may see it; else null. */
export async function dispenseReservation(ctx: PharmacySubgraphContext, d: Dispense): Promise<Reservation | null> {
  if (!d.reservationId) return null;
  const reservation = await load.reservation(ctx, d.reservationId);
  return reservation && (await canSeeReservation(ctx, reservation)) ? reservation : null;
}
