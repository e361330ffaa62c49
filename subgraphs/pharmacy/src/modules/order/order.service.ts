import { readPlainPage } from '@hc/db';
import { randomBytes, randomUUID } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import { ConflictError, NotFoundError, pageSize, requireUser, toConnection } from '@hc/graphql';
import { outbox } from '@hc/jobs';
import { lockAndCheck } from '../stock/claim.js';
import { dispense, releaseCtes, releaseOrder } from '../prescription/prescription.sql.js';
import { linesValues, sqlRunner, type Run } from '../sql.js';
import { Order, OrderStatus, type AddressCopy, type OrderConnection } from './order.entity.js';
import type { PlaceOrderInput } from './order.inputs.js';
import { validateLines } from '../stock/claim.js';
import { myPharmacy } from '../pharmacy/access.js';
import type { PharmacySubgraphContext } from '../../context.js';

/** The one legal successor of each status on the happy path. */
export const NEXT_STATUS: Partial<Record<OrderStatus, OrderStatus>> = {
  [OrderStatus.PENDING]: OrderStatus.CONFIRMED,
  [OrderStatus.CONFIRMED]: OrderStatus.PREPARING,
  [OrderStatus.PREPARING]: OrderStatus.OUT_FOR_DELIVERY,
  [OrderStatus.OUT_FOR_DELIVERY]: OrderStatus.DELIVERED,
};
/** Who may cancel from which status: patients only while PENDING, pharmacies before the goods leave. */
export const CANCELLABLE_BY_PATIENT = [OrderStatus.PENDING];
export const CANCELLABLE_BY_PHARMACY = [OrderStatus.PENDING, OrderStatus.CONFIRMED, OrderStatus.PREPARING];

/** Tells the owner once per dip below the minimum level: the flag is cleared when stock is back up. */
async function notifyLowStock(em: EntityManager, run: Run, branchId: string, itemIds: string[]) {
  const crossed = await run<{
    itemId: string;
    quantity: number;
    minStockLevel: number;
    itemName: string;
    branchName: string;
    ownerId: string;
  }>(
    `update stock_entries s set low_notified = true
       from items i, pharmacy_branches b, pharmacies p
      where s.branch_id = ? and s.item_id in (?) and s.quantity < s.min_stock_level and not s.low_notified
        and i.id = s.item_id and b.id = s.branch_id and p.id = b.pharmacy_id
      returning s.item_id as "itemId", s.quantity, s.min_stock_level as "minStockLevel", i.name as "itemName",
                b.name as "branchName", p.owner_id as "ownerId"`,
    [branchId, itemIds],
  );
  for (const c of crossed) {
    outbox.notify(em, {
      idempotencyKey: `stock:${branchId}:${c.itemId}:low:${randomUUID()}`,
      userId: c.ownerId,
      template: 'stock.low',
      variables: { itemName: c.itemName, branchName: c.branchName, quantity: c.quantity, minStockLevel: c.minStockLevel },
    });
  }
}

/**
 * Places an order in one transaction: lock and check stock, take it with guarded updates
 * (quantity >= n; CHECK (quantity >= 0) is the backstop), copy the prices into the lines and
 * let the database sum them in numeric, consume the patient's own holds at the branch, take the
 * prescription-only lines from the prescription's balance (one statement, see `dispense`), write
 * the confirmation, the pharmacy-access event and any low-stock notice to the outbox. All of it
 * commits or none of it.
 */
export async function placeOrder(em: EntityManager, patientId: string, input: PlaceOrderInput): Promise<string> {
  return em.transactional(async (tx) => {
    const run = sqlRunner(tx);
    const lines = input.items.map((l) => ({ itemId: l.itemId.toLowerCase(), quantity: l.quantity }));
    const { pharmacyId, pharmacyOwnerId, prescriptionId, prescriptionLines } = await lockAndCheck(run, {
      branchId: input.branchId,
      lines,
      prescriptionId: input.prescriptionId,
      ownHoldsOf: patientId,
      prescriptionFallback: async () => {
        const [own] = await run<{ prescriptionId: string }>(
          `select prescription_id as "prescriptionId" from reservations
            where patient_id = ? and branch_id = ? and status = 'ACTIVE' and expires_at > now() and prescription_id is not null
            order by reserved_at desc limit 1`,
          [patientId, input.branchId],
        );
        return own?.prescriptionId ?? null;
      },
    });

    const orderId = randomUUID();
    // The patient's own holds at this branch are used (or released) by this order: they stop
    // counting, and units they held on a prescription go back to it before the order takes its own.
    await run(
      `with src as (
         update reservations set status = 'FULFILLED', updated_at = now()
          where patient_id = ? and branch_id = ? and status = 'ACTIVE' and expires_at > now()
         returning id
       ), ${releaseCtes('reservation_id')}
       select (select count(*) from relback)::int as released`,
      [patientId, input.branchId],
    );
    if (prescriptionId) {
      await dispense(run, { prescriptionId, patientId, branchId: input.branchId, orderId, lines: prescriptionLines });
    }
    const address: AddressCopy | null = input.deliveryAddress
      ? {
          id: randomUUID(),
          type: input.deliveryAddress.type,
          street: input.deliveryAddress.street,
          city: input.deliveryAddress.city,
          state: input.deliveryAddress.state ?? null,
          postalCode: input.deliveryAddress.postalCode ?? null,
          country: input.deliveryAddress.country,
          isDefault: input.deliveryAddress.isDefault ?? false,
        }
      : null;
    const values = linesValues(lines);
    // One statement: the guarded stock update, the order with its numeric total, and its lines
    // at the prices just read. Foreign keys are checked at the end of the statement.
    const [order] = await run<{ taken: number; total: string; pharmacyName: string }>(
      `with taken as (
         update stock_entries s set quantity = s.quantity - v.n, updated_at = now()
           from ${values.sql} as v(item_id, n)
          where s.branch_id = ? and s.item_id = v.item_id and s.quantity >= v.n
          returning s.item_id, v.n, s.price
       ), o as (
         insert into orders (id, patient_id, pharmacy_id, branch_id, status, prescription_id, delivery_address, total_amount)
         select ?, ?, ?, ?, 'PENDING', ?, ?::jsonb, coalesce(sum(t.n * t.price), 0) from taken t
         returning total_amount
       ), l as (
         insert into order_items (order_id, item_id, quantity, unit_price) select ?, t.item_id, t.n, t.price from taken t
       )
       select (select count(*) from taken)::int as taken, o.total_amount::text as total, p.name as "pharmacyName"
         from o, pharmacies p where p.id = ?`,
      [
        ...values.params,
        input.branchId,
        orderId,
        patientId,
        pharmacyId,
        input.branchId,
        prescriptionId,
        address ? JSON.stringify(address) : null,
        orderId,
        pharmacyId,
      ],
    );
    // Unreachable while the rows are locked and checked; kept so a logic slip can never oversell.
    if (order.taken !== lines.length) throw new ConflictError('Not enough stock', 'INSUFFICIENT_STOCK');

    if (prescriptionId) {
      // Lets the pharmacy's staff read the prescription at the doctor's side.
      outbox.add(tx, 'prescription.pharmacy-access', {
        prescriptionId,
        pharmacyId,
        pharmacyUserId: pharmacyOwnerId,
        occurredAt: new Date().toISOString(),
      });
    }
    outbox.notify(tx, {
      idempotencyKey: `order:${orderId}:confirmed`,
      userId: patientId,
      template: 'order.confirmed',
      variables: { orderId, totalAmount: order.total, pharmacyName: order.pharmacyName },
    });
    await notifyLowStock(
      tx,
      run,
      input.branchId,
      lines.map((l) => l.itemId),
    );
    return orderId;
  });
}

/** Puts an order's units back on the shelf, locking the stock rows in the same order placeOrder does. */
async function restoreStock(run: Run, orderId: string, branchId: string) {
  await run(
    `select 1 from stock_entries where branch_id = ? and item_id in (select item_id from order_items where order_id = ?)
      order by item_id for update`,
    [branchId, orderId],
  );
  await run(
    `update stock_entries s set quantity = s.quantity + oi.quantity, updated_at = now(),
            low_notified = s.low_notified and s.quantity + oi.quantity < s.min_stock_level
       from order_items oi where oi.order_id = ? and s.branch_id = ? and s.item_id = oi.item_id`,
    [orderId, branchId],
  );
}

const trackingNumber = () => `TRK-${randomBytes(6).toString('hex').toUpperCase()}`;

/**
 * Moves an order from `from` (one of) to `to` with a conditional UPDATE: of two racing changes
 * exactly one matches, so a cancellation restores stock and prescription units at most once. Returns false when the
 * order was not in an allowed status (the caller answers CONFLICT).
 */
export async function transition(em: EntityManager, orderId: string, from: OrderStatus[], to: OrderStatus): Promise<boolean> {
  return em.transactional(async (tx) => {
    const run = sqlRunner(tx);
    const [row] = await run<{ patientId: string; branchId: string; prescriptionId: string | null }>(
      `update orders set status = ?, updated_at = now() where id = ? and status in (?)
       returning patient_id as "patientId", branch_id as "branchId", prescription_id as "prescriptionId"`,
      [to, orderId, from],
    );
    if (!row) return false;
    let tracking: string | null = null;
    let attempt = 1;
    if (to === OrderStatus.CANCELLED) {
      await restoreStock(run, orderId, row.branchId);
      if (row.prescriptionId) await releaseOrder(run, orderId);
      // A delivery scheduled ahead will not happen.
      await run(
        `update deliveries set status = 'FAILED', failure_reason = 'order cancelled', updated_at = now() where order_id = ? and status = 'SCHEDULED'`,
        [orderId],
      );
    } else if (to === OrderStatus.OUT_FOR_DELIVERY) {
      // A delivery scheduled ahead (delivery.service.ts) leaves with its own tracking number; leaving
      // again after a failure counts as another attempt.
      const [d] = await run<{ trackingNumber: string; attempts: number }>(
        `update deliveries set status = 'IN_TRANSIT', attempts = attempts + (case when status = 'FAILED' then 1 else 0 end), updated_at = now()
         where order_id = ? and status in ('SCHEDULED', 'FAILED') returning tracking_number as "trackingNumber", attempts`,
        [orderId],
      );
      tracking = d?.trackingNumber ?? trackingNumber();
      attempt = d?.attempts ?? 1;
      if (!d)
        await run(
          `insert into deliveries (id, order_id, address, scheduled_for, status, tracking_number)
           select ?, o.id, o.delivery_address, now(), 'IN_TRANSIT', ? from orders o where o.id = ?`,
          [randomUUID(), tracking, orderId],
        );
    } else if (to === OrderStatus.DELIVERED) {
      const [d] = await run<{ trackingNumber: string; attempts: number }>(
        `update deliveries set status = 'DELIVERED', updated_at = now() where order_id = ? returning tracking_number as "trackingNumber", attempts`,
        [orderId],
      );
      tracking = d?.trackingNumber ?? null;
      attempt = d?.attempts ?? 1;
    }
    outbox.notify(tx, {
      // A retried delivery leaves (and arrives) again: later attempts are new messages.
      idempotencyKey: `order:${orderId}:status:${to}${attempt > 1 ? `:${attempt}` : ''}`,
      userId: row.patientId,
      template: 'order.status_changed',
      variables: { orderId, status: to, trackingNumber: tracking },
    });
    return true;
  });
}

/** The patient, the owner of the order's pharmacy, and admins; nobody else learns the order exists. */
export async function canSeeOrder(ctx: PharmacySubgraphContext, order: Order): Promise<boolean> {
  const user = ctx.auth.user;
  if (!user) return false;
  if (user.role === 'ADMIN' || order.patientId === user.id) return true;
  return (await myPharmacy(ctx))?.id === order.pharmacyId;
}

async function visibleOrder(ctx: PharmacySubgraphContext, id: string): Promise<Order> {
  const order = await ctx.em.findOne(Order, { id });
  if (!order || !(await canSeeOrder(ctx, order))) throw new NotFoundError('Order');
  return order;
}

async function reload(ctx: PharmacySubgraphContext, id: string): Promise<Order> {
  ctx.em.clear();
  return ctx.em.findOneOrFail(Order, { id });
}

/** A page of orders matching `where` (and `status`), newest first. */
export async function ordersOf(
  ctx: PharmacySubgraphContext,
  where: Record<string, unknown>,
  status: OrderStatus | null | undefined,
  first: number | null | undefined,
  after: string | null | undefined,
): Promise<OrderConnection> {
  // Read-only page: plain rows (readPlainPage), the same SQL and cursors as em.findByCursor.
  const cursor = await readPlainPage(ctx.em, Order, {
    where: { ...where, ...(status ? { status } : {}) },
    first: pageSize(first),
    after: after ?? undefined,
    orderBy: { orderDate: 'desc', id: 'desc' },
  });
  return toConnection(cursor);
}

/** Orders of the caller's pharmacy (an empty page when the caller has none yet). */
export async function pharmacyOrders(
  ctx: PharmacySubgraphContext,
  status: OrderStatus | null | undefined,
  first: number | null | undefined,
  after: string | null | undefined,
): Promise<OrderConnection> {
  const pharmacy = await myPharmacy(ctx);
  if (!pharmacy) {
    pageSize(first);
    return { nodes: [], totalCount: 0, pageInfo: { endCursor: null, hasNextPage: false } };
  }
  return ordersOf(ctx, { pharmacyId: pharmacy.id }, status, first, after);
}

/** The calling patient places an order (see placeOrder) and gets it back as stored. */
export async function placeOrderAsPatient(ctx: PharmacySubgraphContext, input: PlaceOrderInput): Promise<Order> {
  const user = requireUser(ctx.auth);
  validateLines(input.items);
  const id = await placeOrder(ctx.em, user.id, input);
  return reload(ctx, id);
}

/** The pharmacy owner (or an admin) moves an order one step on, or cancels it. */
export async function updateOrderStatus(ctx: PharmacySubgraphContext, id: string, status: OrderStatus): Promise<Order> {
  const order = await visibleOrder(ctx, id);
  const user = requireUser(ctx.auth);
  if (user.role !== 'ADMIN' && (await myPharmacy(ctx))?.id !== order.pharmacyId) throw new NotFoundError('Order');
  const from =
    status === OrderStatus.CANCELLED
      ? CANCELLABLE_BY_PHARMACY
      : (Object.entries(NEXT_STATUS)
          .filter(([, to]) => to === status)
          .map(([f]) => f) as OrderStatus[]);
  if (from.length === 0 || !(await transition(ctx.em, id, from, status))) {
    const current = await reload(ctx, id);
    throw new ConflictError(`An order cannot go from ${current.status} to ${status}`, 'INVALID_STATUS_TRANSITION');
  }
  return reload(ctx, id);
}

/** The patient while PENDING, the pharmacy before the goods leave; stock is restored once. */
export async function cancelOrder(ctx: PharmacySubgraphContext, id: string): Promise<Order> {
  const order = await visibleOrder(ctx, id);
  const user = requireUser(ctx.auth);
  const ownsPharmacy = user.role === 'ADMIN' || (await myPharmacy(ctx))?.id === order.pharmacyId;
  const from = ownsPharmacy ? CANCELLABLE_BY_PHARMACY : CANCELLABLE_BY_PATIENT;
  if (!(await transition(ctx.em, id, from, OrderStatus.CANCELLED))) {
    const current = await reload(ctx, id);
    throw new ConflictError(`An order that is ${current.status} can no longer be cancelled`, 'INVALID_STATUS_TRANSITION');
  }
  return reload(ctx, id);
}
