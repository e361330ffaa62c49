import { byKeys, groupByKeys, loader } from '@hc/graphql';
import { Pharmacy } from './pharmacy/pharmacy.entity.js';
import { PharmacyBranch } from './pharmacy/branch.entity.js';
import { Item } from './catalogue/item.entity.js';
import { Category } from './catalogue/category.entity.js';
import { Delivery, OrderItem } from './order/order.entity.js';
import { Reservation } from './reservation/reservation.entity.js';
import { sqlRunner } from './sql.js';
import type { PharmacySubgraphContext } from '../context.js';

/** Per-request batched lookups: a list of N orders/offers/stock rows costs one query per relation. */
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
      byKeys(ids, await ctx.em.find(PharmacyBranch, { id: { $in: [...ids] } }), (b) => b.id),
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
      byKeys(ids, await ctx.em.find(Item, { id: { $in: [...ids] } }), (i) => i.id),
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
