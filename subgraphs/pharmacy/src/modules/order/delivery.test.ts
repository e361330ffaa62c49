import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { errorCode } from '@hc/testing';
import { ok, PLACE_ORDER, seedPharmacy, startPharmacy, type Harness } from '../../../test/harness.js';

let h: Harness;
beforeAll(async () => {
  h = await startPharmacy();
});
afterAll(async () => {
  await h?.stop();
});

const FIELDS = `status delivery { status scheduledFor trackingNumber failureReason attempts address { city } }`;
const STATUS = `mutation($id: ID!, $status: OrderStatus!) { updateOrderStatus(id: $id, status: $status) { ${FIELDS} } }`;
const SCHEDULE = `mutation($id: ID!, $date: DateTime!, $t: String!) { scheduleDelivery(orderId: $id, date: $date, trackingNumber: $t) { ${FIELDS} } }`;
const FAIL = `mutation($id: ID!, $r: String!) { markDeliveryFailed(orderId: $id, reason: $r) { ${FIELDS} } }`;
const RETRY = `mutation($id: ID!, $date: DateTime) { retryDelivery(orderId: $id, date: $date) { ${FIELDS} } }`;

const inDays = (d: number) => new Date(Date.now() + d * 86_400_000).toISOString();
const tag = () => Math.random().toString(36).slice(2, 10).toUpperCase();

/** Outbox notifications for one order's patient, oldest first. */
const notes = async (patientId: string) =>
  (
    await h.sg.orm.em
      .getConnection()
      .execute<{ payload: { template: string; variables: Record<string, unknown> } }[]>(
        `select payload from outbox where payload->>'userId' = ? order by created_at, id`,
        [patientId],
      )
  ).map((r) => ({ template: r.payload.template, ...r.payload.variables }));

async function confirmedOrder(withAddress = true) {
  const { owner, branchId, itemIds } = await seedPharmacy(h, { items: [{ name: 'Scale', quantity: 50, price: '9.00' }] });
  const patient = h.user('PATIENT');
  const order = ok(
    await h.call(
      PLACE_ORDER,
      {
        input: {
          branchId,
          items: [{ itemId: itemIds[0], quantity: 1 }],
          ...(withAddress ? { deliveryAddress: { type: 'HOME', street: '5 Nile St', city: 'Giza', country: 'EG' } } : {}),
        },
      },
      patient.token,
    ),
  ).placeOrder;
  ok(await h.call(STATUS, { id: order.id, status: 'CONFIRMED' }, owner.token));
  return { owner, patient, orderId: order.id as string };
}

describe('deliveries', () => {
  it('SCHEDULED with a date and tracking number → IN_TRANSIT → FAILED with a reason → retried → DELIVERED, the patient told at each step', async () => {
    const { owner, patient, orderId } = await confirmedOrder();
    const tracking = `DHL-${tag()}`;
    const date = inDays(2);
    const scheduled = ok(await h.call(SCHEDULE, { id: orderId, date, t: tracking }, owner.token)).scheduleDelivery;
    expect(scheduled).toEqual({
      status: 'CONFIRMED',
      delivery: {
        status: 'SCHEDULED',
        scheduledFor: date,
        trackingNumber: tracking,
        failureReason: null,
        attempts: 1,
        address: { city: 'Giza' },
      },
    });
    // Still SCHEDULED: the date can move.
    const later = inDays(3);
    expect(
      ok(await h.call(SCHEDULE, { id: orderId, date: later, t: tracking }, owner.token)).scheduleDelivery.delivery.scheduledFor,
    ).toBe(later);

    ok(await h.call(STATUS, { id: orderId, status: 'PREPARING' }, owner.token));
    const out = ok(await h.call(STATUS, { id: orderId, status: 'OUT_FOR_DELIVERY' }, owner.token)).updateOrderStatus;
    expect(out.delivery).toMatchObject({ status: 'IN_TRANSIT', trackingNumber: tracking, attempts: 1 });
    expect(errorCode(await h.call(SCHEDULE, { id: orderId, date, t: tracking }, owner.token))).toBe('CONFLICT');
    expect(errorCode(await h.call(RETRY, { id: orderId }, owner.token))).toBe('CONFLICT');

    const failed = ok(await h.call(FAIL, { id: orderId, r: 'Nobody at home' }, owner.token)).markDeliveryFailed;
    expect(failed).toMatchObject({
      status: 'PREPARING',
      delivery: { status: 'FAILED', failureReason: 'Nobody at home', attempts: 1 },
    });
    const again = await h.call(FAIL, { id: orderId, r: 'twice' }, owner.token);
    expect(again.errors?.[0]?.extensions).toMatchObject({ code: 'CONFLICT', reason: 'INVALID_DELIVERY_STATUS' });

    const retryDate = inDays(4);
    const retried = ok(await h.call(RETRY, { id: orderId, date: retryDate }, owner.token)).retryDelivery;
    expect(retried.delivery).toMatchObject({
      status: 'SCHEDULED',
      scheduledFor: retryDate,
      trackingNumber: tracking,
      attempts: 2,
    });
    expect(
      ok(await h.call(STATUS, { id: orderId, status: 'OUT_FOR_DELIVERY' }, owner.token)).updateOrderStatus.delivery.status,
    ).toBe('IN_TRANSIT');
    const done = ok(await h.call(STATUS, { id: orderId, status: 'DELIVERED' }, owner.token)).updateOrderStatus;
    expect(done).toMatchObject({ status: 'DELIVERED', delivery: { status: 'DELIVERED', attempts: 2 } });

    expect((await notes(patient.id)).filter((n) => n.template !== 'order.confirmed')).toEqual([
      { template: 'order.status_changed', orderId, status: 'CONFIRMED', trackingNumber: null },
      { template: 'order.delivery_scheduled', orderId, scheduledFor: date, trackingNumber: tracking },
      { template: 'order.delivery_scheduled', orderId, scheduledFor: later, trackingNumber: tracking },
      { template: 'order.status_changed', orderId, status: 'PREPARING', trackingNumber: null },
      { template: 'order.status_changed', orderId, status: 'OUT_FOR_DELIVERY', trackingNumber: tracking },
      { template: 'order.delivery_failed', orderId, reason: 'Nobody at home' },
      { template: 'order.delivery_scheduled', orderId, scheduledFor: retryDate, trackingNumber: tracking },
      { template: 'order.status_changed', orderId, status: 'OUT_FOR_DELIVERY', trackingNumber: tracking },
      { template: 'order.status_changed', orderId, status: 'DELIVERED', trackingNumber: tracking },
    ]);
  });

  it('checks input, ownership, the address and the order status; cancelling withdraws a scheduled delivery', async () => {
    const { owner, patient, orderId } = await confirmedOrder();
    const other = await confirmedOrder();
    const t = `UPS-${tag()}`;
    const bad = async (vars: Record<string, unknown>, field: string) =>
      expect(
        (await h.call(SCHEDULE, { id: orderId, date: inDays(1), t, ...vars }, owner.token)).errors?.[0]?.extensions,
      ).toMatchObject({
        code: 'BAD_USER_INPUT',
        fields: [{ field }],
      });
    await bad({ date: inDays(-1) }, 'date');
    await bad({ t: 'has spaces in it' }, 'trackingNumber');
    await bad({ t: 'X'.repeat(41) }, 'trackingNumber');
    expect(errorCode(await h.call(SCHEDULE, { id: orderId, date: inDays(1), t }, other.owner.token))).toBe('NOT_FOUND');
    expect(errorCode(await h.call(SCHEDULE, { id: orderId, date: inDays(1), t }, patient.token))).toBe('FORBIDDEN');
    expect(errorCode(await h.call(FAIL, { id: orderId, r: ' ' }, owner.token))).toBe('BAD_USER_INPUT');
    expect((await h.call(FAIL, { id: orderId, r: 'x' }, owner.token)).errors?.[0]?.extensions?.code).toBe('CONFLICT');

    ok(await h.call(SCHEDULE, { id: orderId, date: inDays(1), t }, owner.token));
    // The tracking number is unique across deliveries.
    expect(errorCode(await h.call(SCHEDULE, { id: other.orderId, date: inDays(1), t }, other.owner.token))).toBe('CONFLICT');

    const pickup = await confirmedOrder(false);
    expect(
      (await h.call(SCHEDULE, { id: pickup.orderId, date: inDays(1), t: `P-${tag()}` }, pickup.owner.token)).errors?.[0]
        ?.extensions,
    ).toMatchObject({
      code: 'CONFLICT',
      reason: 'NO_DELIVERY_ADDRESS',
    });

    const cancelled = ok(
      await h.call(`mutation($id: ID!) { cancelOrder(id: $id) { ${FIELDS} } }`, { id: orderId }, owner.token),
    ).cancelOrder;
    expect(cancelled).toMatchObject({ status: 'CANCELLED', delivery: { status: 'FAILED', failureReason: 'order cancelled' } });
    expect(errorCode(await h.call(RETRY, { id: orderId }, owner.token))).toBe('CONFLICT');
  });

  it('a failure racing the arrival: exactly one wins, the order and its delivery agree', async () => {
    for (let round = 0; round < 5; round++) {
      const { owner, orderId } = await confirmedOrder();
      ok(await h.call(STATUS, { id: orderId, status: 'PREPARING' }, owner.token));
      ok(await h.call(STATUS, { id: orderId, status: 'OUT_FOR_DELIVERY' }, owner.token));
      const [fail, arrive] = await Promise.all([
        h.call(FAIL, { id: orderId, r: 'Van broke down' }, owner.token),
        h.call(STATUS, { id: orderId, status: 'DELIVERED' }, owner.token),
      ]);
      expect([fail.errors, arrive.errors].filter(Boolean)).toHaveLength(1);
      const [row] = await h.sg.orm.em
        .getConnection()
        .execute<{ o: string; d: string }[]>(
          `select o.status as o, d.status as d from orders o join deliveries d on d.order_id = o.id where o.id = ?`,
          [orderId],
        );
      expect(row).toEqual(fail.errors ? { o: 'DELIVERED', d: 'DELIVERED' } : { o: 'PREPARING', d: 'FAILED' });
    }
  });
});
