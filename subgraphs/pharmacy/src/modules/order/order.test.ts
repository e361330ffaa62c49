import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { errorCode } from '@hc/testing';
import {
  balanceOf,
  feedPrescription,
  ok,
  PLACE_ORDER,
  quantityOf,
  seedPharmacy,
  startPharmacy,
  type Harness,
} from '../../../test/harness.js';

let h: Harness;
beforeAll(async () => {
  h = await startPharmacy();
});
afterAll(async () => {
  await h?.stop();
});

const place = (
  token: string,
  branchId: string,
  items: { itemId: string; quantity: number }[],
  extra: Record<string, unknown> = {},
) => h.call(PLACE_ORDER, { input: { branchId, items, ...extra } }, token);

const outboxCount = async (template: string) => {
  const [row] = await h.sg.orm.em
    .getConnection()
    .execute<{ n: number }[]>(`select count(*)::int as n from outbox where payload->>'template' = ?`, [template]);
  return row.n;
};

describe('placeOrder', () => {
  it('computes the total in exact decimals from current prices and takes the stock', async () => {
    const { branchId, itemIds } = await seedPharmacy(h, {
      items: [
        { name: 'Vitamin C', quantity: 10, price: '0.10' },
        { name: 'Bandage', quantity: 10, price: '0.20' },
      ],
    });
    const patient = h.user('PATIENT');
    const res = await place(patient.token, branchId, [
      { itemId: itemIds[0], quantity: 3 },
      { itemId: itemIds[1], quantity: 1 },
    ]);
    const order = ok(res).placeOrder;
    // 3 × 0.10 + 0.20 is 0.5000000000000001 in floats; the database sums numeric.
    expect(order.totalAmount).toBe('0.50');
    expect(order.status).toBe('PENDING');
    expect(order.items).toHaveLength(2);
    expect(await quantityOf(h, branchId, itemIds[0])).toBe(7);
    expect(await outboxCount('order.confirmed')).toBeGreaterThanOrEqual(1);
  });

  it('50 concurrent single-unit orders against 10 in stock: exactly 10 succeed, stock ends at 0', async () => {
    const { branchId, itemIds } = await seedPharmacy(h, { items: [{ name: 'Insulin pen', quantity: 10, price: '25.00' }] });
    const results = await Promise.all(
      Array.from({ length: 50 }, () => place(h.user('PATIENT').token, branchId, [{ itemId: itemIds[0], quantity: 1 }])),
    );
    const succeeded = results.filter((r) => !r.errors);
    const failed = results.filter((r) => r.errors);
    expect(succeeded).toHaveLength(10);
    expect(failed).toHaveLength(40);
    for (const f of failed) {
      expect(errorCode(f)).toBe('CONFLICT');
      expect(f.errors![0].extensions).toMatchObject({ reason: 'INSUFFICIENT_STOCK', item: 'Insulin pen' });
    }
    expect(await quantityOf(h, branchId, itemIds[0])).toBe(0);
  });

  it('two multi-line orders with lines in opposite order race without a deadlock error', async () => {
    const { branchId, itemIds } = await seedPharmacy(h, {
      items: [
        { name: 'Aspirin', quantity: 1000, price: '1.00' },
        { name: 'Ibuprofen', quantity: 1000, price: '2.00' },
        { name: 'Cough syrup', quantity: 1000, price: '3.00' },
      ],
    });
    const forward = itemIds.map((itemId) => ({ itemId, quantity: 1 }));
    const backward = [...forward].reverse();
    const results = await Promise.all(
      Array.from({ length: 30 }, (_, i) => place(h.user('PATIENT').token, branchId, i % 2 ? forward : backward)),
    );
    const errors = results.flatMap((r) => r.errors ?? []);
    expect(errors).toEqual([]);
    for (const id of itemIds) expect(await quantityOf(h, branchId, id)).toBe(970);
  });

  it('commits nothing when one line is short, and names the item', async () => {
    const { branchId, itemIds } = await seedPharmacy(h, {
      items: [
        { name: 'Plenty', quantity: 50, price: '1.00' },
        { name: 'Scarce drops', quantity: 1, price: '1.00' },
      ],
    });
    const res = await place(h.user('PATIENT').token, branchId, [
      { itemId: itemIds[0], quantity: 5 },
      { itemId: itemIds[1], quantity: 2 },
    ]);
    expect(errorCode(res)).toBe('CONFLICT');
    expect(res.errors![0].extensions).toMatchObject({ reason: 'INSUFFICIENT_STOCK', item: 'Scarce drops' });
    expect(res.errors![0].message).toContain('Scarce drops');
    expect(await quantityOf(h, branchId, itemIds[0])).toBe(50);
  });

  it('prescription-only item: no prescriptionId → CONFLICT PRESCRIPTION_REQUIRED; a made-up id → PRESCRIPTION_INVALID; a real one goes through', async () => {
    const { branchId, itemIds } = await seedPharmacy(h, {
      items: [{ name: 'Amoxicillin', quantity: 5, price: '9.99', prescriptionRequired: true }],
    });
    const patient = h.user('PATIENT');
    const res = await place(patient.token, branchId, [{ itemId: itemIds[0], quantity: 1 }]);
    expect(errorCode(res)).toBe('CONFLICT');
    expect(res.errors![0].extensions).toMatchObject({ reason: 'PRESCRIPTION_REQUIRED', item: 'Amoxicillin' });
    const madeUp = await place(patient.token, branchId, [{ itemId: itemIds[0], quantity: 1 }], { prescriptionId: randomUUID() });
    expect(errorCode(madeUp)).toBe('CONFLICT');
    expect(madeUp.errors![0].extensions).toMatchObject({ reason: 'PRESCRIPTION_INVALID' });
    expect(await quantityOf(h, branchId, itemIds[0])).toBe(5);
    const { event } = await feedPrescription(h, { patientId: patient.id, items: [{ itemId: itemIds[0], quantity: 2 }] });
    const withRx = await place(patient.token, branchId, [{ itemId: itemIds[0], quantity: 1 }], {
      prescriptionId: event.prescriptionId,
    });
    expect(ok(withRx).placeOrder.totalAmount).toBe('9.99');
    expect(await quantityOf(h, branchId, itemIds[0])).toBe(4);
    expect(await balanceOf(h, event.prescriptionId, itemIds[0])).toEqual({ prescribed: 2, dispensed: 1 });
  });

  it('rejects zero, negative, unknown and other-branch items with errors naming the line', async () => {
    const a = await seedPharmacy(h, { items: [{ name: 'Gauze', quantity: 5, price: '1.00' }] });
    const b = await seedPharmacy(h, { items: [{ name: 'Elsewhere only', quantity: 5, price: '1.00' }] });
    const token = h.user('PATIENT').token;
    for (const quantity of [0, -3]) {
      const res = await place(token, a.branchId, [{ itemId: a.itemIds[0], quantity }]);
      expect(errorCode(res)).toBe('BAD_USER_INPUT');
      expect(res.errors![0].extensions!.fields).toEqual([expect.objectContaining({ field: 'items[0].quantity' })]);
    }
    const unknown = await place(token, a.branchId, [{ itemId: randomUUID(), quantity: 1 }]);
    expect(errorCode(unknown)).toBe('BAD_USER_INPUT');
    expect(unknown.errors![0].message).toMatch(/Unknown item/);
    const other = await place(token, a.branchId, [{ itemId: b.itemIds[0], quantity: 1 }]);
    expect(errorCode(other)).toBe('BAD_USER_INPUT');
    expect(other.errors![0].message).toBe('Elsewhere only is not sold at this branch');
    const empty = await place(token, a.branchId, []);
    expect(errorCode(empty)).toBe('BAD_USER_INPUT');
    const badAddress = await place(token, a.branchId, [{ itemId: a.itemIds[0], quantity: 1 }], {
      deliveryAddress: { type: 'HOME', street: '', city: 'Giza', country: 'EG' },
    });
    expect(errorCode(badAddress)).toBe('BAD_USER_INPUT');
    const noBranch = await place(token, randomUUID(), [{ itemId: a.itemIds[0], quantity: 1 }]);
    expect(errorCode(noBranch)).toBe('NOT_FOUND');
    expect(await quantityOf(h, a.branchId, a.itemIds[0])).toBe(5);
  });

  it('only patients place orders', async () => {
    const { branchId, itemIds } = await seedPharmacy(h, { items: [{ name: 'Soap', quantity: 5, price: '1.00' }] });
    expect(errorCode(await place(h.user('DOCTOR').token, branchId, [{ itemId: itemIds[0], quantity: 1 }]))).toBe('FORBIDDEN');
    const anon = await h.call(PLACE_ORDER, { input: { branchId, items: [{ itemId: itemIds[0], quantity: 1 }] } });
    expect(errorCode(anon)).toBe('UNAUTHENTICATED');
  });
});

const STATUS = `mutation($id: ID!, $status: OrderStatus!) { updateOrderStatus(id: $id, status: $status) { status delivery { trackingNumber status address { city } } } }`;
const CANCEL = `mutation($id: ID!) { cancelOrder(id: $id) { status } }`;

describe('order status flow', () => {
  it('walks PENDING → DELIVERED, creates a tracked delivery at OUT_FOR_DELIVERY, refuses illegal moves', async () => {
    const { owner, branchId, itemIds } = await seedPharmacy(h, { items: [{ name: 'Thermometer', quantity: 5, price: '12.00' }] });
    const patient = h.user('PATIENT');
    const order = ok(
      await place(patient.token, branchId, [{ itemId: itemIds[0], quantity: 1 }], {
        deliveryAddress: { type: 'HOME', street: '5 Nile St', city: 'Giza', country: 'EG' },
      }),
    ).placeOrder;
    const skip = await h.call(STATUS, { id: order.id, status: 'PREPARING' }, owner.token);
    expect(errorCode(skip)).toBe('CONFLICT');
    for (const status of ['CONFIRMED', 'PREPARING']) {
      const res = ok(await h.call(STATUS, { id: order.id, status }, owner.token)).updateOrderStatus;
      expect(res).toMatchObject({ status, delivery: null });
    }
    const out = ok(await h.call(STATUS, { id: order.id, status: 'OUT_FOR_DELIVERY' }, owner.token)).updateOrderStatus;
    expect(out.delivery).toMatchObject({ status: 'IN_TRANSIT', address: { city: 'Giza' } });
    expect(out.delivery.trackingNumber).toMatch(/^TRK-[0-9A-F]{12}$/);
    expect(errorCode(await h.call(CANCEL, { id: order.id }, owner.token))).toBe('CONFLICT');
    const done = ok(await h.call(STATUS, { id: order.id, status: 'DELIVERED' }, owner.token)).updateOrderStatus;
    expect(done).toMatchObject({ status: 'DELIVERED', delivery: { status: 'DELIVERED' } });
    expect(errorCode(await h.call(STATUS, { id: order.id, status: 'CONFIRMED' }, owner.token))).toBe('CONFLICT');
    expect(await outboxCount('order.status_changed')).toBeGreaterThanOrEqual(4);
  });

  it('patients cancel only while PENDING; cancelling restores stock', async () => {
    const { owner, branchId, itemIds } = await seedPharmacy(h, { items: [{ name: 'Mask', quantity: 5, price: '1.00' }] });
    const patient = h.user('PATIENT');
    const first = ok(await place(patient.token, branchId, [{ itemId: itemIds[0], quantity: 2 }])).placeOrder;
    expect(ok(await h.call(CANCEL, { id: first.id }, patient.token)).cancelOrder.status).toBe('CANCELLED');
    expect(await quantityOf(h, branchId, itemIds[0])).toBe(5);
    expect(errorCode(await h.call(CANCEL, { id: first.id }, patient.token))).toBe('CONFLICT');
    const second = ok(await place(patient.token, branchId, [{ itemId: itemIds[0], quantity: 2 }])).placeOrder;
    ok(await h.call(STATUS, { id: second.id, status: 'CONFIRMED' }, owner.token));
    expect(errorCode(await h.call(CANCEL, { id: second.id }, patient.token))).toBe('CONFLICT');
    expect(ok(await h.call(CANCEL, { id: second.id }, owner.token)).cancelOrder.status).toBe('CANCELLED');
    expect(await quantityOf(h, branchId, itemIds[0])).toBe(5);
  });

  it('a cancel racing a status change (and other cancels) restores stock at most once', async () => {
    const { owner, branchId, itemIds } = await seedPharmacy(h, { items: [{ name: 'Syringe', quantity: 100, price: '0.50' }] });
    for (let round = 0; round < 10; round++) {
      const patient = h.user('PATIENT');
      const order = ok(await place(patient.token, branchId, [{ itemId: itemIds[0], quantity: 3 }])).placeOrder;
      const results = await Promise.all([
        h.call(CANCEL, { id: order.id }, patient.token),
        h.call(CANCEL, { id: order.id }, owner.token),
        h.call(STATUS, { id: order.id, status: 'CONFIRMED' }, owner.token),
        h.call(CANCEL, { id: order.id }, patient.token),
      ]);
      for (const r of results) if (r.errors) expect(errorCode(r)).toBe('CONFLICT');
      const [{ status }] = await h.sg.orm.em
        .getConnection()
        .execute<{ status: string }[]>(`select status from orders where id = ?`, [order.id]);
      const onHand = await quantityOf(h, branchId, itemIds[0]);
      if (status === 'CANCELLED') expect(onHand).toBe(100);
      else expect(onHand).toBe(97);
      if (status !== 'CANCELLED') ok(await h.call(CANCEL, { id: order.id }, owner.token));
      expect(await quantityOf(h, branchId, itemIds[0])).toBe(100);
    }
  });
});

const ORDER_READS = `query($status: OrderStatus) { pharmacyOrders(status: $status) { totalCount nodes { id totalAmount } } }`;

describe('authorization', () => {
  it("one pharmacy reading or changing another's orders gets NOT_FOUND; patients see only their own", async () => {
    const a = await seedPharmacy(h, { items: [{ name: 'Cream A', quantity: 5, price: '3.00' }] });
    const b = await seedPharmacy(h, { items: [{ name: 'Cream B', quantity: 5, price: '3.00' }] });
    const patient = h.user('PATIENT');
    const order = ok(await place(patient.token, a.branchId, [{ itemId: a.itemIds[0], quantity: 1 }])).placeOrder;

    expect(ok(await h.call(ORDER_READS, {}, a.owner.token)).pharmacyOrders.nodes.map((o: { id: string }) => o.id)).toContain(
      order.id,
    );
    expect(ok(await h.call(ORDER_READS, {}, b.owner.token)).pharmacyOrders.totalCount).toBe(0);
    expect(errorCode(await h.call(STATUS, { id: order.id, status: 'CONFIRMED' }, b.owner.token))).toBe('NOT_FOUND');
    expect(errorCode(await h.call(CANCEL, { id: order.id }, b.owner.token))).toBe('NOT_FOUND');
    expect(errorCode(await h.call(CANCEL, { id: order.id }, h.user('PATIENT').token))).toBe('NOT_FOUND');

    const entity = `query($r: [_Any!]!) { _entities(representations: $r) { ... on Order { id totalAmount } } }`;
    const reps = { r: [{ __typename: 'Order', id: order.id }] };
    expect(ok(await h.call(entity, reps, b.owner.token))._entities).toEqual([null]);
    expect(ok(await h.call(entity, reps, patient.token))._entities).toEqual([{ id: order.id, totalAmount: '3.00' }]);

    const userOrders = `query($r: [_Any!]!) { _entities(representations: $r) { ... on User { orders { totalCount } } } }`;
    const userRep = { r: [{ __typename: 'User', id: patient.id }] };
    expect(ok(await h.call(userOrders, userRep, patient.token))._entities).toEqual([{ orders: { totalCount: 1 } }]);
    expect(ok(await h.call(userOrders, userRep, h.user('ADMIN').token))._entities).toEqual([{ orders: { totalCount: 1 } }]);
    expect(errorCode(await h.call(userOrders, userRep, a.owner.token))).toBe('FORBIDDEN');

    const mine = `{ myOrders { totalCount nodes { id } } }`;
    expect(ok(await h.call(mine, {}, patient.token)).myOrders.totalCount).toBe(1);
    expect(ok(await h.call(mine, {}, h.user('PATIENT').token)).myOrders.totalCount).toBe(0);

    expect(errorCode(await h.call(`{ lowStock(branchId: "${a.branchId}") { quantity } }`, {}, b.owner.token))).toBe('NOT_FOUND');
    const setOther = await h.call(
      `mutation($i: StockInput!) { setStock(input: $i) { quantity } }`,
      { i: { branchId: a.branchId, itemId: a.itemIds[0], quantity: 99, price: '1.00' } },
      b.owner.token,
    );
    expect(errorCode(setOther)).toBe('NOT_FOUND');
    expect(await quantityOf(h, a.branchId, a.itemIds[0])).toBe(4);
  });
});

describe('low stock', () => {
  it('notifies the owner once per crossing below the minimum level, not once per sale', async () => {
    const { owner, branchId, itemIds } = await seedPharmacy(h, {
      items: [{ name: 'Low drops', quantity: 10, price: '1.00', minStockLevel: 5 }],
    });
    const before = await outboxCount('stock.low');
    const buy = async (n: number) => ok(await place(h.user('PATIENT').token, branchId, [{ itemId: itemIds[0], quantity: n }]));
    await buy(5); // 5 left: not below 5
    expect(await outboxCount('stock.low')).toBe(before);
    await buy(1); // 4: crossed
    await buy(1); // 3: still below, no second notice
    expect(await outboxCount('stock.low')).toBe(before + 1);
    const low = ok(
      await h.call(`{ lowStock(branchId: "${branchId}") { quantity isLow minStockLevel item { name } } }`, {}, owner.token),
    );
    expect(low.lowStock).toEqual([{ quantity: 3, isLow: true, minStockLevel: 5, item: { name: 'Low drops' } }]);
    // Restocked above the level, then a sale crosses again: a new notice.
    ok(
      await h.call(
        `mutation($i: StockInput!) { setStock(input: $i) { quantity isLow } }`,
        { i: { branchId, itemId: itemIds[0], quantity: 6, price: '1.00' } },
        owner.token,
      ),
    );
    await buy(2);
    expect(await outboxCount('stock.low')).toBe(before + 2);
  });
});
