import { readPlain } from '@hc/db';
import { byKeys, groupByKeys, loader } from '@hc/graphql';
import { Pharmacy } from './pharmacy/pharmacy.entity.js';
import { PharmacyBranch } from './pharmacy/branch.entity.js';
import { Item } from './catalogue/item.entity.js';
import { Category } from './catalogue/category.entity.js';
import { Delivery, OrderItem } from './order/order.entity.js';
import { Reservation } from './reservation/reservation.entity.js';
import { Order } from './order/order.entity.js';
import type { Dispense, PrescriptionBalance } from './prescription/prescription.types.js';
import { sqlRunner } from './sql.js';
import type { PharmacySubgraphContext } from '../context.js';

/**
 * Per-request batched lookups: a list of N orders/offers/stock rows costs one query per relation.
 * `branch` and `item` answer reads only and return plain rows (`readPlain`: no hydration, identity
 * map or snapshots); writes load their entity through `em`, never from here.
 */
export const load = {
  pharmacy: (ctx: PharmacySubgraphContext, id: string) =>
    loader<string, Pharmacy | null>(ctx, load.pharmacy, async (ids) =>
      byKeys(ids, await ctx.em.find(Pharmacy, { id: { $in: [...ids] } }), (p) => p.id),
    ).load(id),

  /** The pharmacy a user owns (one per PHARMACY user). */
  pharmacyOfOwner: (ctx: PharmacySubgraphContext, ownerId: string) =>
    loader<string, Pharmacy | null>(ctx, load.pharmacyOfOwner, async (ids) =>
      byKeys(ids, await ctx.em.find(Pharmacy, { ownerId: { $in: [...ids] } }), (p) => p.ownerId),
    ).load(ownerId),

  /** A patient's reservations, newest first. */
  reservationsOf: (ctx: PharmacySubgraphContext, patientId: string) =>
    loader<string, Reservation[]>(ctx, load.reservationsOf, async (ids) =>
      groupByKeys(
        ids,
        await ctx.em.find(Reservation, { patientId: { $in: [...ids] } }, { orderBy: { reservedAt: 'desc', id: 'desc' } }),
        (r) => r.patientId,
      ),
    ).load(patientId),

  branch: (ctx: PharmacySubgraphContext, id: string) =>
    loader<string, PharmacyBranch | null>(ctx, load.branch, async (ids) =>
      byKeys(ids, await readPlain(ctx.em, PharmacyBranch, { id: { $in: [...ids] } }), (b) => b.id),
    ).load(id),

  branchesOf: (ctx: PharmacySubgraphContext, pharmacyId: string) =>
    loader<string, PharmacyBranch[]>(ctx, load.branchesOf, async (ids) =>
      groupByKeys(
        ids,
        await ctx.em.find(PharmacyBranch, { pharmacyId: { $in: [...ids] } }, { orderBy: { createdAt: 'asc', id: 'asc' } }),
        (b) => b.pharmacyId,
      ),
    ).load(pharmacyId),

  item: (ctx: PharmacySubgraphContext, id: string) =>
    loader<string, Item | null>(ctx, load.item, async (ids) =>
      byKeys(ids, await readPlain(ctx.em, Item, { id: { $in: [...ids] } }), (i) => i.id),
    ).load(id),

  category: (ctx: PharmacySubgraphContext, id: string) =>
    loader<string, Category | null>(ctx, load.category, async (ids) =>
      byKeys(ids, await ctx.em.find(Category, { id: { $in: [...ids] } }), (c) => c.id),
    ).load(id),

  orderItems: (ctx: PharmacySubgraphContext, orderId: string) =>
    loader<string, (OrderItem & { orderId: string })[]>(ctx, load.orderItems, async (ids) =>
      groupByKeys(
        ids,
        await sqlRunner(ctx.em)<OrderItem & { orderId: string }>(
          `select order_id as "orderId", item_id as "itemId", quantity, unit_price::text as "unitPrice"
             from order_items where order_id in (?) order by item_id`,
          [[...ids]],
        ),
        (r) => r.orderId,
      ),
    ).load(orderId),

  reservationItems: (ctx: PharmacySubgraphContext, reservationId: string) =>
    loader<string, (OrderItem & { reservationId: string })[]>(ctx, load.reservationItems, async (ids) =>
      groupByKeys(
        ids,
        await sqlRunner(ctx.em)<OrderItem & { reservationId: string }>(
          `select reservation_id as "reservationId", item_id as "itemId", quantity, unit_price::text as "unitPrice"
             from reservation_items where reservation_id in (?) order by item_id`,
          [[...ids]],
        ),
        (r) => r.reservationId,
      ),
    ).load(reservationId),

  delivery: (ctx: PharmacySubgraphContext, orderId: string) =>
    loader<string, Delivery | null>(ctx, load.delivery, async (ids) =>
      byKeys(ids, await ctx.em.find(Delivery, { orderId: { $in: [...ids] } }), (d) => d.orderId),
    ).load(orderId),

  order: (ctx: PharmacySubgraphContext, id: string) =>
    loader<string, Order | null>(ctx, load.order, async (ids) =>
      byKeys(ids, await ctx.em.find(Order, { id: { $in: [...ids] } }), (o) => o.id),
    ).load(id),

  reservation: (ctx: PharmacySubgraphContext, id: string) =>
    loader<string, Reservation | null>(ctx, load.reservation, async (ids) =>
      byKeys(ids, await ctx.em.find(Reservation, { id: { $in: [...ids] } }), (r) => r.id),
    ).load(id),

  /** The pharmacy's copy of a prescription with its balance per item (null until its first event arrives). */
  prescriptionCopy: (ctx: PharmacySubgraphContext, id: string) =>
    loader<string, PrescriptionCopy | null>(ctx, load.prescriptionCopy, async (ids) => {
      const rows = await sqlRunner(ctx.em)<{
        id: string;
        patientId: string;
        doctorUserId: string;
        itemId: string | null;
        prescribed: number | null;
        dispensed: number | null;
      }>(
        `select p.id, p.patient_id as "patientId", p.doctor_user_id as "doctorUserId",
                l.item_id as "itemId", l.prescribed, l.dispensed
           from prescriptions p
           left join (prescription_lines l join items i on i.id = l.item_id) on l.prescription_id = p.id
          where p.id in (?) order by p.id, l.item_id`,
        [[...ids]],
      );
      const copies = new Map<string, PrescriptionCopy>();
      for (const r of rows) {
        const copy = copies.get(r.id) ?? { id: r.id, patientId: r.patientId, doctorUserId: r.doctorUserId, lines: [] };
        copies.set(r.id, copy);
        if (r.itemId) {
          copy.lines.push({
            itemId: r.itemId,
            prescribed: r.prescribed!,
            dispensed: r.dispensed!,
            remaining: r.prescribed! - r.dispensed!,
          });
        }
      }
      return ids.map((id) => copies.get(id) ?? null);
    }).load(id),

  /** Dispenses that still count (not reverted by a cancellation or a lapsed hold), oldest first. */
  dispenses: (ctx: PharmacySubgraphContext, prescriptionId: string) =>
    loader<string, (Dispense & { prescriptionId: string })[]>(ctx, load.dispenses, async (ids) =>
      groupByKeys(
        ids,
        (
          await sqlRunner(ctx.em)<Dispense & { prescriptionId: string }>(
            `select prescription_id as "prescriptionId", order_id as "orderId", reservation_id as "reservationId",
                    branch_id as "branchId", item_id as "itemId", quantity, dispensed_at as "dispensedAt"
               from prescription_dispenses where prescription_id in (?) and reverted_at is null
              order by dispensed_at, id`,
            [[...ids]],
          )
        ).map((d) => ({ ...d, dispensedAt: new Date(d.dispensedAt) })),
        (d) => d.prescriptionId,
      ),
    ).load(prescriptionId),

  /** Whether pharmacy `pharmacyId` holds an order or reservation on the prescription (key `pharmacyId:prescriptionId`). */
  pharmacyHolds: (ctx: PharmacySubgraphContext, pharmacyId: string, prescriptionId: string) =>
    loader<string, boolean>(ctx, load.pharmacyHolds, async (keys) => {
      const pairs = keys.map((k) => k.split(':'));
      const rows = await sqlRunner(ctx.em)<{ key: string }>(
        `select o.pharmacy_id || ':' || o.prescription_id as key from orders o
          where o.pharmacy_id in (?) and o.prescription_id in (?)
         union
         select b.pharmacy_id || ':' || r.prescription_id from reservations r join pharmacy_branches b on b.id = r.branch_id
          where b.pharmacy_id in (?) and r.prescription_id in (?)`,
        [
          [...new Set(pairs.map((p) => p[0]))],
          [...new Set(pairs.map((p) => p[1]))],
          [...new Set(pairs.map((p) => p[0]))],
          [...new Set(pairs.map((p) => p[1]))],
        ],
      );
      const found = new Set(rows.map((r) => r.key));
      return keys.map((k) => found.has(k));
    }).load(`${pharmacyId}:${prescriptionId}`),

  /** Units held by active, unexpired reservations, keyed `branchId:itemId`. */
  held: (ctx: PharmacySubgraphContext, branchId: string, itemId: string) =>
    loader<string, number>(ctx, load.held, async (keys) => {
      const pairs = keys.map((k) => k.split(':'));
      const rows = await sqlRunner(ctx.em)<{ branchId: string; itemId: string; held: number }>(
        `select r.branch_id as "branchId", ri.item_id as "itemId", sum(ri.quantity)::int as held
           from reservation_items ri join reservations r on r.id = ri.reservation_id
          where r.status = 'ACTIVE' and r.expires_at > now() and r.branch_id in (?) and ri.item_id in (?)
          group by r.branch_id, ri.item_id`,
        [[...new Set(pairs.map((p) => p[0]))], [...new Set(pairs.map((p) => p[1]))]],
      );
      const map = new Map(rows.map((r) => [`${r.branchId}:${r.itemId}`, r.held]));
      return keys.map((k) => map.get(k) ?? 0);
    }).load(`${branchId}:${itemId}`),
};

export interface PrescriptionCopy {
  id: string;
  patientId: string;
  doctorUserId: string;
  lines: PrescriptionBalance[];
}
