import { randomBytes, randomUUID } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import { ConflictError } from '@hc/graphql';
import { outbox } from '@hc/jobs';
import { lockAndCheck } from '../stock/claim.js';
import { linesValues, sqlRunner, type Run } from '../sql.js';
import { OrderStatus, type AddressCopy } from './order.entity.js';
import type { PlaceOrderInput } from './order.inputs.js';

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
 * let the database sum them in numeric, consume the patient's own holds at the branch, write the
 * confirmation and any low-stock notice to the outbox. All of it commits or none of it.
 */
export async function placeOrder(em: EntityManager, patientId: string, input: PlaceOrderInput): Promise<string> {
  return em.transactional(async (tx) => {
    const run = sqlRunner(tx);
    const lines = input.items.map((l) => ({ itemId: l.itemId.toLowerCase(), quantity: l.quantity }));
    const { pharmacyId, prescriptionId } = await lockAndCheck(run, {
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

    // The patient's own holds at this branch have just been used (or released): they stop counting.
    await run(
      `update reservations set status = 'FULFILLED', updated_at = now()
        where patient_id = ? and branch_id = ? and status = 'ACTIVE' and expires_at > now()`,
      [patientId, input.branchId],
    );
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
 * exactly one matches, so a cancellation restores stock at most once. Returns false when the
 * order was not in an allowed status (the caller answers CONFLICT).
 */
export async function transition(em: EntityManager, orderId: string, from: OrderStatus[], to: OrderStatus): Promise<boolean> {
  return em.transactional(async (tx) => {
    const run = sqlRunner(tx);
    const [row] = await run<{ patientId: string; branchId: string }>(
      `update orders set status = ?, updated_at = now() where id = ? and status in (?)
       returning patient_id as "patientId", branch_id as "branchId"`,
      [to, orderId, from],
    );
    if (!row) return false;
    let tracking: string | null = null;
    if (to === OrderStatus.CANCELLED) {
      await restoreStock(run, orderId, row.branchId);
    } else if (to === OrderStatus.OUT_FOR_DELIVERY) {
      tracking = trackingNumber();
      await run(
        `insert into deliveries (id, order_id, address, scheduled_for, status, tracking_number)
         select ?, o.id, o.delivery_address, now(), 'IN_TRANSIT', ? from orders o where o.id = ?`,
        [randomUUID(), tracking, orderId],
      );
    } else if (to === OrderStatus.DELIVERED) {
      const [d] = await run<{ trackingNumber: string }>(
        `update deliveries set status = 'DELIVERED', updated_at = now() where order_id = ? returning tracking_number as "trackingNumber"`,
        [orderId],
      );
      tracking = d?.trackingNumber ?? null;
    }
    outbox.notify(tx, {
      idempotencyKey: `order:${orderId}:status:${to}`,
      userId: row.patientId,
      template: 'order.status_changed',
      variables: { orderId, status: to, trackingNumber: tracking },
    });
    return true;
  });
}
