/**
 * Delivery rules beside the order's own status machine (order.service.ts):
 *
 *   (none) ──scheduleDelivery──▶ SCHEDULED ──OUT_FOR_DELIVERY──▶ IN_TRANSIT ──DELIVERED──▶ DELIVERED
 *                                   │  ▲                            │
 *                 markDeliveryFailed│  │retryDelivery               │markDeliveryFailed
 *                                   ▼  │                            ▼
 *                                 FAILED ◀───────────────────────────┘ (the order goes back to PREPARING)
 *
 * Each step is one transaction holding the conditional update and the patient's notification.
 * The order row is locked first (as the order transitions do), so a delivery step and a status
 * change of the same order run one after the other and never deadlock; a step whose precondition
 * no longer holds answers CONFLICT.
 */
import type { EntityManager } from '@mikro-orm/postgresql';
import { BadUserInputError, ConflictError, NotFoundError, requireUser } from '@hc/graphql';
import { outbox } from '@hc/jobs';
import { sqlRunner } from '../sql.js';
import { Delivery, Order, OrderStatus } from './order.entity.js';
import { myPharmacy } from '../pharmacy/access.js';
import type { PharmacySubgraphContext } from '../../context.js';

/** Orders whose goods are still at the pharmacy: a delivery can be (re)scheduled for them. */
const SCHEDULABLE = [OrderStatus.CONFIRMED, OrderStatus.PREPARING];
const TRACKING = /^[A-Za-z0-9][A-Za-z0-9-]{0,39}$/;

/** An order of the caller's pharmacy (any order for admins); NOT_FOUND otherwise. */
async function ownOrder(ctx: PharmacySubgraphContext, orderId: string): Promise<Order> {
  const user = requireUser(ctx.auth);
  const order = await ctx.em.findOne(Order, { id: orderId });
  if (!order || (user.role !== 'ADMIN' && (await myPharmacy(ctx))?.id !== order.pharmacyId)) throw new NotFoundError('Order');
  return reload(ctx, orderId);
}

function futureDate(field: string, date: Date): Date {
  if (Number.isNaN(date.getTime()) || date.getTime() <= Date.now())
    throw BadUserInputError.field(field, `${field} must be in the future`);
  return date;
}

async function fresh(ctx: PharmacySubgraphContext, orderId: string): Promise<{ order: Order; delivery: Delivery | null }> {
  const em = ctx.em.fork();
  const [order, delivery] = await Promise.all([em.findOneOrFail(Order, { id: orderId }), em.findOne(Delivery, { orderId })]);
  return { order, delivery };
}

/** The order as committed (the request's identity map may hold the state before the step). */
async function reload(ctx: PharmacySubgraphContext, orderId: string): Promise<Order> {
  ctx.em.clear();
  return ctx.em.findOneOrFail(Order, { id: orderId });
}

const lockOrder = (tx: EntityManager, orderId: string) =>
  sqlRunner(tx)<{ status: OrderStatus; patientId: string }>(
    `select status, patient_id as "patientId" from orders where id = ? for update`,
    [orderId],
  );

function notifyScheduled(
  tx: EntityManager,
  patientId: string,
  orderId: string,
  d: { scheduledFor: Date; trackingNumber: string; attempts: number; updatedAt: Date },
) {
  outbox.notify(tx, {
    idempotencyKey: `order:${orderId}:delivery:scheduled:${d.attempts}:${new Date(d.updatedAt).getTime()}`,
    userId: patientId,
    template: 'order.delivery_scheduled',
    variables: { orderId, scheduledFor: new Date(d.scheduledFor).toISOString(), trackingNumber: d.trackingNumber },
  });
}

interface DeliveryRow {
  scheduledFor: Date;
  trackingNumber: string;
  attempts: number;
  updatedAt: Date;
}
const RETURNING = `returning scheduled_for as "scheduledFor", tracking_number as "trackingNumber", attempts, updated_at as "updatedAt"`;

/**
 * Pharmacy owner (or admin): schedules the delivery of a CONFIRMED or PREPARING order with a
 * delivery address for `date` with the carrier's `trackingNumber` (unique across deliveries), or
 * moves a still SCHEDULED one. The patient is told the date and tracking number.
 */
export async function scheduleDelivery(
  ctx: PharmacySubgraphContext,
  orderId: string,
  date: Date,
  trackingNumber: string,
): Promise<Order> {
  const order = await ownOrder(ctx, orderId);
  futureDate('date', date);
  const tracking = trackingNumber.trim();
  if (!TRACKING.test(tracking))
    throw BadUserInputError.field('trackingNumber', 'trackingNumber is 1 to 40 letters, digits or dashes');
  if (!order.deliveryAddress)
    throw new ConflictError('This order has no delivery address (it is picked up)', 'NO_DELIVERY_ADDRESS');
  const done = await ctx.em.fork().transactional(async (tx) => {
    const [locked] = await lockOrder(tx, orderId);
    if (!locked || !SCHEDULABLE.includes(locked.status)) return false;
    const [d] = await sqlRunner(tx)<DeliveryRow>(
      `insert into deliveries (id, order_id, address, scheduled_for, status, tracking_number)
       select gen_random_uuid(), o.id, o.delivery_address, ?, 'SCHEDULED', ? from orders o where o.id = ?
       on conflict (order_id) do update set scheduled_for = excluded.scheduled_for, tracking_number = excluded.tracking_number, updated_at = now()
         where deliveries.status = 'SCHEDULED'
       ${RETURNING}`,
      [date, tracking, orderId],
    );
    if (!d) return false;
    notifyScheduled(tx, locked.patientId, orderId, d);
    return true;
  });
  if (!done) {
    const now = await fresh(ctx, orderId);
    if (!SCHEDULABLE.includes(now.order.status))
      throw new ConflictError(
        `An order that is ${now.order.status} cannot be scheduled for delivery`,
        'INVALID_STATUS_TRANSITION',
      );
    throw new ConflictError(
      now.delivery?.status === 'FAILED'
        ? 'This delivery failed: retry it with retryDelivery'
        : `A delivery that is ${now.delivery?.status} cannot be rescheduled`,
      'INVALID_DELIVERY_STATUS',
    );
  }
  return reload(ctx, orderId);
}

/**
 * Pharmacy owner (or admin): a SCHEDULED or IN_TRANSIT delivery failed, for `reason`. An order
 * out for delivery goes back to PREPARING (the goods return to the pharmacy). The patient is told why.
 */
export async function markDeliveryFailed(ctx: PharmacySubgraphContext, orderId: string, reason: string): Promise<Order> {
  await ownOrder(ctx, orderId);
  const why = reason.trim();
  if (why.length < 1 || why.length > 500) throw BadUserInputError.field('reason', 'reason is 1 to 500 characters');
  const done = await ctx.em.fork().transactional(async (tx) => {
    const run = sqlRunner(tx);
    const [locked] = await lockOrder(tx, orderId);
    if (!locked) return false;
    const [d] = await run<{ attempts: number }>(
      `update deliveries set status = 'FAILED', failure_reason = ?, updated_at = now()
       where order_id = ? and status in ('SCHEDULED', 'IN_TRANSIT') returning attempts`,
      [why, orderId],
    );
    if (!d) return false;
    await run(`update orders set status = 'PREPARING', updated_at = now() where id = ? and status = 'OUT_FOR_DELIVERY'`, [
      orderId,
    ]);
    outbox.notify(tx, {
      idempotencyKey: `order:${orderId}:delivery:failed:${d.attempts}`,
      userId: locked.patientId,
      template: 'order.delivery_failed',
      variables: { orderId, reason: why },
    });
    return true;
  });
  if (!done) {
    const now = await fresh(ctx, orderId);
    if (!now.delivery) throw new ConflictError('This order has no delivery', 'INVALID_DELIVERY_STATUS');
    throw new ConflictError(`A delivery that is ${now.delivery.status} cannot fail`, 'INVALID_DELIVERY_STATUS');
  }
  return reload(ctx, orderId);
}

/**
 * Pharmacy owner (or admin): schedules a FAILED delivery again, for `date` (default now), keeping
 * its tracking number; the attempt count grows by one. The order must not be cancelled.
 */
export async function retryDelivery(
  ctx: PharmacySubgraphContext,
  orderId: string,
  date: Date | null | undefined,
): Promise<Order> {
  await ownOrder(ctx, orderId);
  if (date) futureDate('date', date);
  const done = await ctx.em.fork().transactional(async (tx) => {
    const [locked] = await lockOrder(tx, orderId);
    if (!locked || !SCHEDULABLE.includes(locked.status)) return false;
    const [d] = await sqlRunner(tx)<DeliveryRow>(
      `update deliveries set status = 'SCHEDULED', scheduled_for = coalesce(?::timestamptz, now()), attempts = attempts + 1, updated_at = now()
       where order_id = ? and status = 'FAILED' ${RETURNING}`,
      [date ?? null, orderId],
    );
    if (!d) return false;
    notifyScheduled(tx, locked.patientId, orderId, d);
    return true;
  });
  if (!done) {
    const now = await fresh(ctx, orderId);
    if (!SCHEDULABLE.includes(now.order.status))
      throw new ConflictError(`An order that is ${now.order.status} cannot be delivered again`, 'INVALID_STATUS_TRANSITION');
    throw new ConflictError(
      `Only a FAILED delivery can be retried (this one is ${now.delivery?.status ?? 'not scheduled'})`,
      'INVALID_DELIVERY_STATUS',
    );
  }
  return reload(ctx, orderId);
}
