import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { errorCode } from '@hc/testing';
import { ok, PLACE_ORDER, quantityOf, seedPharmacy, startPharmacy, type Harness } from '../../../test/harness.js';
import { process as expireJob } from './reservation-expire.job.js';

const RESERVE = `mutation($input: ReserveInput!) { reserveItems(input: $input) { id status expiresAt items { quantity unitPrice item { name } } } }`;
const CANCEL = `mutation($id: ID!) { cancelReservation(id: $id) { status } }`;

const BRANCH_STOCK = `query($r: [_Any!]!) { _entities(representations: $r) { ... on PharmacyBranch { stock(first: 100) { nodes { available item { id } } } } } }`;

/** Availability as the owner sees it on the branch (quantity − active, unexpired holds). */
async function availableOf(h: Harness, ownerToken: string, branchId: string, itemId: string): Promise<number> {
  const res = ok(await h.call(BRANCH_STOCK, { r: [{ __typename: 'PharmacyBranch', id: branchId }] }, ownerToken));
  return res._entities[0].stock.nodes.find((n: { item: { id: string } }) => n.item.id === itemId).available;
}

describe('reservations (3 s TTL)', () => {
  let h: Harness;
  beforeAll(async () => {
    // 0.05 min = 3 s: expiry is exercised through the real outbox → delayed job → consumer path.
    h = await startPharmacy({ RESERVATION_TTL_MINUTES: '0.05' });
  });
  afterAll(async () => {
    await h?.stop();
  });

  it('holds stock from everyone else; the holder can order it; cancelling releases it', async () => {
    const { owner, branchId, itemIds } = await seedPharmacy(h, { items: [{ name: 'Held pills', quantity: 5, price: '2.50' }] });
    const holder = h.user('PATIENT');
    const other = h.user('PATIENT');
    const r = ok(
      await h.call(RESERVE, { input: { branchId, items: [{ itemId: itemIds[0], quantity: 4 }] } }, holder.token),
    ).reserveItems;
    expect(r).toMatchObject({ status: 'ACTIVE', items: [{ quantity: 4, unitPrice: '2.50', item: { name: 'Held pills' } }] });
    expect(await availableOf(h, owner.token, branchId, itemIds[0])).toBe(1);

    const blocked = await h.call(PLACE_ORDER, { input: { branchId, items: [{ itemId: itemIds[0], quantity: 2 }] } }, other.token);
    expect(errorCode(blocked)).toBe('CONFLICT');
    expect(blocked.errors![0].extensions).toMatchObject({ reason: 'INSUFFICIENT_STOCK', item: 'Held pills' });
    const second = await h.call(RESERVE, { input: { branchId, items: [{ itemId: itemIds[0], quantity: 2 }] } }, other.token);
    expect(errorCode(second)).toBe('CONFLICT');

    // The holder's order uses the held units (4 held + 1 free = 5).
    const order = ok(
      await h.call(PLACE_ORDER, { input: { branchId, items: [{ itemId: itemIds[0], quantity: 5 }] } }, holder.token),
    );
    expect(order.placeOrder.totalAmount).toBe('12.50');
    expect(await quantityOf(h, branchId, itemIds[0])).toBe(0);
    const mine = ok(
      await h.call(
        `{ _entities(representations: [{ __typename: "User", id: "${holder.id}" }]) { ... on User { reservations { id status } } } }`,
        {},
        holder.token,
      ),
    );
    expect(mine._entities[0].reservations).toEqual([{ id: r.id, status: 'FULFILLED' }]);
    expect(errorCode(await h.call(CANCEL, { id: r.id }, holder.token))).toBe('CONFLICT');
  });

  it('cancelReservation releases the hold; strangers get NOT_FOUND', async () => {
    const { owner, branchId, itemIds } = await seedPharmacy(h, { items: [{ name: 'Cancel me', quantity: 3, price: '1.00' }] });
    const holder = h.user('PATIENT');
    const r = ok(
      await h.call(RESERVE, { input: { branchId, items: [{ itemId: itemIds[0], quantity: 3 }] } }, holder.token),
    ).reserveItems;
    expect(await availableOf(h, owner.token, branchId, itemIds[0])).toBe(0);
    expect(errorCode(await h.call(CANCEL, { id: r.id }, h.user('PATIENT').token))).toBe('NOT_FOUND');
    expect(ok(await h.call(CANCEL, { id: r.id }, holder.token)).cancelReservation.status).toBe('CANCELLED');
    expect(await availableOf(h, owner.token, branchId, itemIds[0])).toBe(3);
    // The branch's pharmacy may release a hold too; another pharmacy may not see it.
    const other = await seedPharmacy(h, { items: [{ name: 'Other shop', quantity: 1, price: '1.00' }] });
    const r2 = ok(
      await h.call(RESERVE, { input: { branchId, items: [{ itemId: itemIds[0], quantity: 1 }] } }, holder.token),
    ).reserveItems;
    expect(errorCode(await h.call(CANCEL, { id: r2.id }, other.owner.token))).toBe('NOT_FOUND');
    expect(ok(await h.call(CANCEL, { id: r2.id }, owner.token)).cancelReservation.status).toBe('CANCELLED');
  });

  it('a reservation racing orders for the last units: never more promised than on hand', async () => {
    for (let round = 0; round < 5; round++) {
      const { owner, branchId, itemIds } = await seedPharmacy(h, {
        items: [{ name: `Last units ${round}`, quantity: 2, price: '4.00' }],
      });
      const line = { branchId, items: [{ itemId: itemIds[0], quantity: 2 }] };
      const results = await Promise.all([
        h.call(RESERVE, { input: line }, h.user('PATIENT').token),
        h.call(PLACE_ORDER, { input: line }, h.user('PATIENT').token),
        h.call(RESERVE, { input: line }, h.user('PATIENT').token),
        h.call(PLACE_ORDER, { input: line }, h.user('PATIENT').token),
      ]);
      const winners = results.filter((r) => !r.errors);
      expect(winners).toHaveLength(1);
      for (const r of results.filter((x) => x.errors)) expect(errorCode(r)).toBe('CONFLICT');
      const onHand = await quantityOf(h, branchId, itemIds[0]);
      const won = winners[0].data as Record<string, unknown>;
      expect(onHand).toBe('placeOrder' in won ? 0 : 2);
      expect(await availableOf(h, owner.token, branchId, itemIds[0])).toBe(0);
    }
  });

  it('expiry frees stock on time and the delayed job marks the reservation EXPIRED', async () => {
    const { owner, branchId, itemIds } = await seedPharmacy(h, { items: [{ name: 'Expiring', quantity: 2, price: '1.00' }] });
    const holder = h.user('PATIENT');
    const r = ok(
      await h.call(RESERVE, { input: { branchId, items: [{ itemId: itemIds[0], quantity: 2 }] } }, holder.token),
    ).reserveItems;
    expect(await availableOf(h, owner.token, branchId, itemIds[0])).toBe(0);
    const expiresAt = Date.parse(r.expiresAt);
    expect(expiresAt - Date.now()).toBeGreaterThan(1_000);
    expect(expiresAt - Date.now()).toBeLessThanOrEqual(3_000);

    await new Promise((res) => setTimeout(res, Math.max(0, expiresAt - Date.now()) + 50));
    // Availability does not wait for the job: it compares expires_at with now().
    expect(await availableOf(h, owner.token, branchId, itemIds[0])).toBe(2);
    const order = await h.call(
      PLACE_ORDER,
      { input: { branchId, items: [{ itemId: itemIds[0], quantity: 2 }] } },
      h.user('PATIENT').token,
    );
    expect(order.errors).toBeUndefined();

    let status = '';
    for (let i = 0; i < 50 && status !== 'EXPIRED'; i++) {
      const [row] = await h.sg.orm.em
        .getConnection()
        .execute<{ status: string }[]>(`select status from reservations where id = ?`, [r.id]);
      status = row.status;
      if (status !== 'EXPIRED') await new Promise((res) => setTimeout(res, 200));
    }
    expect(status).toBe('EXPIRED');
  });

  it('the expiry job is idempotent and leaves cancelled or fulfilled reservations alone', async () => {
    const { branchId, itemIds } = await seedPharmacy(h, { items: [{ name: 'Idem', quantity: 2, price: '1.00' }] });
    const holder = h.user('PATIENT');
    const r = ok(
      await h.call(RESERVE, { input: { branchId, items: [{ itemId: itemIds[0], quantity: 1 }] } }, holder.token),
    ).reserveItems;
    ok(await h.call(CANCEL, { id: r.id }, holder.token));
    const job = { name: 'reservation.expire', data: { reservationId: r.id, expiresAt: r.expiresAt } };
    expect(await expireJob(h.sg.orm, job)).toBe('skipped');
    const [row] = await h.sg.orm.em
      .getConnection()
      .execute<{ status: string }[]>(`select status from reservations where id = ?`, [r.id]);
    expect(row.status).toBe('CANCELLED');
    expect(await expireJob(h.sg.orm, { name: 'user.changed', data: job.data })).toBe('skipped');
  });

  it('prescription-only items need a real prescription to be reserved too', async () => {
    const { branchId, itemIds } = await seedPharmacy(h, {
      items: [{ name: 'Rx hold', quantity: 2, price: '1.00', prescriptionRequired: true }],
    });
    const line = { branchId, items: [{ itemId: itemIds[0], quantity: 1 }] };
    const res = await h.call(RESERVE, { input: line }, h.user('PATIENT').token);
    expect(errorCode(res)).toBe('CONFLICT');
    expect(res.errors![0].extensions).toMatchObject({ reason: 'PRESCRIPTION_REQUIRED' });
    const madeUp = await h.call(RESERVE, { input: { ...line, prescriptionId: randomUUID() } }, h.user('PATIENT').token);
    expect(errorCode(madeUp)).toBe('CONFLICT');
    expect(madeUp.errors![0].extensions).toMatchObject({ reason: 'PRESCRIPTION_INVALID' });
    const [{ n }] = await h.sg.orm.em
      .getConnection()
      .execute<{ n: number }[]>(`select count(*)::int as n from reservations where branch_id = ?`, [branchId]);
    expect(n).toBe(0);
  });
});

describe('per-patient reservation caps (3 reservations, 10 units)', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startPharmacy({ PATIENT_MAX_ACTIVE_RESERVATIONS: '3', PATIENT_MAX_RESERVED_UNITS: '10' });
  });
  afterAll(async () => {
    await h?.stop();
  });

  it('20 parallel reservations by one patient: exactly 3 succeed, the rest CONFLICT LIMIT_REACHED', async () => {
    const { branchId, itemIds } = await seedPharmacy(h, { items: [{ name: 'Hoarded', quantity: 500, price: '1.00' }] });
    const patient = h.user('PATIENT');
    const results = await Promise.all(
      Array.from({ length: 20 }, () =>
        h.call(RESERVE, { input: { branchId, items: [{ itemId: itemIds[0], quantity: 1 }] } }, patient.token),
      ),
    );
    expect(results.filter((r) => !r.errors)).toHaveLength(3);
    const refused = results.filter((r) => r.errors);
    expect(refused.map((r) => r.errors![0].extensions?.reason)).toEqual(Array(17).fill('LIMIT_REACHED'));
    const [row] = await h.sg.orm.em
      .getConnection()
      .execute(`select count(*)::int as n from reservations where patient_id = ? and status = 'ACTIVE'`, [patient.id]);
    expect(row.n).toBe(3);
    // Another patient is not affected; cancelling frees a place.
    expect(
      ok(await h.call(RESERVE, { input: { branchId, items: [{ itemId: itemIds[0], quantity: 1 }] } }, h.user('PATIENT').token)),
    ).toBeTruthy();
    const mine = results.find((r) => !r.errors)!.data!.reserveItems.id;
    ok(await h.call(CANCEL, { id: mine }, patient.token));
    ok(await h.call(RESERVE, { input: { branchId, items: [{ itemId: itemIds[0], quantity: 1 }] } }, patient.token));
  });

  it('caps the units held across active reservations, counted in parallel too', async () => {
    const { branchId, itemIds } = await seedPharmacy(h, { items: [{ name: 'Bulk', quantity: 500, price: '1.00' }] });
    const patient = h.user('PATIENT');
    const results = await Promise.all(
      Array.from({ length: 6 }, () =>
        h.call(RESERVE, { input: { branchId, items: [{ itemId: itemIds[0], quantity: 4 }] } }, patient.token),
      ),
    );
    // 4 + 4 fit in 10 units; a third 4 would make 12.
    expect(results.filter((r) => !r.errors)).toHaveLength(2);
    expect(results.filter((r) => r.errors?.[0]?.extensions?.reason === 'LIMIT_REACHED')).toHaveLength(4);
    const tooMany = await h.call(
      RESERVE,
      { input: { branchId, items: [{ itemId: itemIds[0], quantity: 11 }] } },
      h.user('PATIENT').token,
    );
    expect(tooMany.errors?.[0]?.extensions).toMatchObject({ code: 'CONFLICT', reason: 'LIMIT_REACHED' });
  });
});
