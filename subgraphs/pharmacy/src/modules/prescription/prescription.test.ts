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
import { process as expireJob } from '../reservation/reservation-expire.job.js';

let h: Harness;
beforeAll(async () => {
  // 0.05 min = 3 s holds, so lapsing reservations are exercised for real.
  h = await startPharmacy({ RESERVATION_TTL_MINUTES: '0.05' });
});
afterAll(async () => {
  await h?.stop();
});

const RESERVE = `mutation($input: ReserveInput!) { reserveItems(input: $input) { id status expiresAt } }`;
const CANCEL_RESERVATION = `mutation($id: ID!) { cancelReservation(id: $id) { status } }`;
const CANCEL_ORDER = `mutation($id: ID!) { cancelOrder(id: $id) { status } }`;
const STATUS = `mutation($id: ID!, $status: OrderStatus!) { updateOrderStatus(id: $id, status: $status) { status } }`;
const FULFILMENT = `query($r: [_Any!]!) { _entities(representations: $r) { ... on Prescription { id fulfilment {
  status lines { prescribed dispensed remaining item { id name } }
  dispenses { quantity dispensedAt item { id } branch { id } order { id } reservation { id } } } } } }`;

const order = (token: string, branchId: string, itemId: string, quantity: number, prescriptionId?: string) =>
  h.call(PLACE_ORDER, { input: { branchId, items: [{ itemId, quantity }], prescriptionId } }, token);

const db = () => h.sg.orm.em.getConnection();
const count = async (sql: string, params: unknown[] = []) => (await db().execute<{ n: number }[]>(sql, params))[0].n;
const reasonOf = (res: { errors?: readonly { extensions?: Record<string, unknown> }[] }) => res.errors?.[0]?.extensions?.reason;

/** Stocks `itemId` at a new approved pharmacy's branch; returns the branch and its owner. */
async function anotherBranch(itemId: string, quantity: number) {
  const s = await seedPharmacy(h, { items: [] });
  ok(
    await h.call(
      `mutation($i: StockInput!) { setStock(input: $i) { quantity } }`,
      { i: { branchId: s.branchId, itemId, quantity, price: '5.00' } },
      s.owner.token,
    ),
  );
  return s;
}

describe('dispensing under concurrency', () => {
  it('20 concurrent orders at 20 different branches against a prescription for 2 units: exactly 2 dispensed', async () => {
    const first = await seedPharmacy(h, {
      items: [{ name: 'Oxycodone', quantity: 10, price: '5.00', prescriptionRequired: true }],
    });
    const itemId = first.itemIds[0];
    const branches = [first.branchId];
    for (let i = 1; i < 20; i++) branches.push((await anotherBranch(itemId, 10)).branchId);
    const patient = h.user('PATIENT');
    const { event } = await feedPrescription(h, { patientId: patient.id, items: [{ itemId, quantity: 2 }] });

    const results = await Promise.all(branches.map((b) => order(patient.token, b, itemId, 1, event.prescriptionId)));
    const succeeded = results.filter((r) => !r.errors);
    expect(succeeded).toHaveLength(2);
    for (const r of results.filter((x) => x.errors)) {
      expect(errorCode(r)).toBe('CONFLICT');
      expect(reasonOf(r)).toBe('PRESCRIPTION_EXHAUSTED');
    }
    expect(await balanceOf(h, event.prescriptionId, itemId)).toEqual({ prescribed: 2, dispensed: 2 });
    let onHand = 0;
    for (const b of branches) onHand += await quantityOf(h, b, itemId);
    expect(onHand).toBe(20 * 10 - 2);
    expect(
      await count(`select count(*)::int as n from prescription_dispenses where prescription_id = ? and reverted_at is null`, [
        event.prescriptionId,
      ]),
    ).toBe(2);
  });

  it('20 concurrent orders against stock of 3 and a prescription for 5: exactly 3 succeed, stock and balance agree', async () => {
    const { branchId, itemIds } = await seedPharmacy(h, {
      items: [{ name: 'Morphine', quantity: 3, price: '5.00', prescriptionRequired: true }],
    });
    const patient = h.user('PATIENT');
    const { event } = await feedPrescription(h, { patientId: patient.id, items: [{ itemId: itemIds[0], quantity: 5 }] });
    const results = await Promise.all(
      Array.from({ length: 20 }, () => order(patient.token, branchId, itemIds[0], 1, event.prescriptionId)),
    );
    expect(results.filter((r) => !r.errors)).toHaveLength(3);
    for (const r of results.filter((x) => x.errors)) expect(reasonOf(r)).toBe('INSUFFICIENT_STOCK');
    expect(await quantityOf(h, branchId, itemIds[0])).toBe(0);
    expect(await balanceOf(h, event.prescriptionId, itemIds[0])).toEqual({ prescribed: 5, dispensed: 3 });
  });
});

describe('cost', () => {
  it('a prescription adds exactly one statement to an order', async () => {
    const { branchId, itemIds } = await seedPharmacy(h, {
      items: [
        { name: 'Counted rx', quantity: 50, price: '1.00', prescriptionRequired: true },
        { name: 'Counted otc', quantity: 50, price: '1.00' },
      ],
    });
    const patient = h.user('PATIENT');
    const { event } = await feedPrescription(h, { patientId: patient.id, items: [{ itemId: itemIds[0], quantity: 50 }] });
    const statementsOf = async (itemId: string, prescriptionId?: string) => {
      const before = h.sg.counter.total;
      ok(await order(patient.token, branchId, itemId, 1, prescriptionId));
      return h.sg.counter.total - before;
    };
    const otc = await statementsOf(itemIds[1]);
    const rx = await statementsOf(itemIds[0], event.prescriptionId);
    expect(rx - otc).toBe(1);
  });
});

describe('refusals', () => {
  it('unknown, another patient’s, expired, cancelled and not covering → PRESCRIPTION_INVALID; too many → EXHAUSTED; nothing moves', async () => {
    const { branchId, itemIds } = await seedPharmacy(h, {
      items: [
        { name: 'Codeine', quantity: 10, price: '3.00', prescriptionRequired: true },
        { name: 'Tramadol', quantity: 10, price: '3.00', prescriptionRequired: true },
        { name: 'Plasters', quantity: 10, price: '1.00' },
      ],
    });
    const [codeine, tramadol, plasters] = itemIds;
    const patient = h.user('PATIENT');
    const other = h.user('PATIENT');
    const line = [{ itemId: codeine, quantity: 1 }];
    const own = (await feedPrescription(h, { patientId: patient.id, items: [{ itemId: codeine, quantity: 2 }] })).event;
    const othersRx = (await feedPrescription(h, { patientId: other.id, items: [{ itemId: codeine, quantity: 2 }] })).event;
    const expired = (await feedPrescription(h, { patientId: patient.id, items: line, expiresAt: new Date(Date.now() - 60_000) }))
      .event;
    const cancelled = (await feedPrescription(h, { patientId: patient.id, items: line, status: 'CANCELLED' })).event;
    const notCovering = (await feedPrescription(h, { patientId: patient.id, items: [{ itemId: tramadol, quantity: 5 }] })).event;

    for (const prescriptionId of [
      randomUUID(),
      othersRx.prescriptionId,
      expired.prescriptionId,
      cancelled.prescriptionId,
      notCovering.prescriptionId,
    ]) {
      const res = await order(patient.token, branchId, codeine, 1, prescriptionId);
      expect(errorCode(res)).toBe('CONFLICT');
      expect(res.errors![0].extensions).toEqual({ code: 'CONFLICT', reason: 'PRESCRIPTION_INVALID' });
      const held = await h.call(RESERVE, { input: { branchId, items: line, prescriptionId } }, patient.token);
      expect(reasonOf(held)).toBe('PRESCRIPTION_INVALID');
    }
    // Covering one line of two is not covering the order.
    const mixed = await h.call(
      PLACE_ORDER,
      {
        input: {
          branchId,
          items: [
            { itemId: codeine, quantity: 1 },
            { itemId: tramadol, quantity: 1 },
          ],
          prescriptionId: own.prescriptionId,
        },
      },
      patient.token,
    );
    expect(reasonOf(mixed)).toBe('PRESCRIPTION_INVALID');
    const tooMany = await order(patient.token, branchId, codeine, 3, own.prescriptionId);
    expect(reasonOf(tooMany)).toBe('PRESCRIPTION_EXHAUSTED');
    const none = await order(patient.token, branchId, codeine, 1);
    expect(reasonOf(none)).toBe('PRESCRIPTION_REQUIRED');
    const zero = await order(patient.token, branchId, codeine, 0, own.prescriptionId);
    expect(errorCode(zero)).toBe('BAD_USER_INPUT');
    expect(zero.errors![0].extensions!.fields).toEqual([expect.objectContaining({ field: 'items[0].quantity' })]);

    for (const id of [codeine, tramadol]) expect(await quantityOf(h, branchId, id)).toBe(10);
    expect(await balanceOf(h, own.prescriptionId, codeine)).toEqual({ prescribed: 2, dispensed: 0 });
    expect(await balanceOf(h, othersRx.prescriptionId, codeine)).toEqual({ prescribed: 2, dispensed: 0 });
    expect(await count(`select count(*)::int as n from orders where branch_id = ?`, [branchId])).toBe(0);
    expect(await count(`select count(*)::int as n from reservations where branch_id = ?`, [branchId])).toBe(0);

    // Over-the-counter lines ride along without touching the prescription.
    const both = ok(
      await h.call(
        PLACE_ORDER,
        {
          input: {
            branchId,
            items: [
              { itemId: codeine, quantity: 2 },
              { itemId: plasters, quantity: 4 },
            ],
            prescriptionId: own.prescriptionId,
          },
        },
        patient.token,
      ),
    ).placeOrder;
    expect(both.totalAmount).toBe('10.00');
    expect(await balanceOf(h, own.prescriptionId, codeine)).toEqual({ prescribed: 2, dispensed: 2 });
    const access = await db().execute<{ payload: Record<string, string> }[]>(
      `select payload from outbox where topic = 'prescription.pharmacy-access' and payload->>'prescriptionId' = ?`,
      [own.prescriptionId],
    );
    expect(access).toHaveLength(1);
    expect(access[0].payload).toMatchObject({ prescriptionId: own.prescriptionId });
  });
});

describe('units come back exactly once', () => {
  it('racing cancels (patient, pharmacy, status change) of an order restore the balance once', async () => {
    const { owner, branchId, itemIds } = await seedPharmacy(h, {
      items: [{ name: 'Diazepam', quantity: 100, price: '2.00', prescriptionRequired: true }],
    });
    const patient = h.user('PATIENT');
    const { event } = await feedPrescription(h, { patientId: patient.id, items: [{ itemId: itemIds[0], quantity: 3 }] });
    for (let round = 0; round < 8; round++) {
      const placed = ok(await order(patient.token, branchId, itemIds[0], 3, event.prescriptionId)).placeOrder;
      expect(await balanceOf(h, event.prescriptionId, itemIds[0])).toEqual({ prescribed: 3, dispensed: 3 });
      const results = await Promise.all([
        h.call(CANCEL_ORDER, { id: placed.id }, patient.token),
        h.call(CANCEL_ORDER, { id: placed.id }, owner.token),
        h.call(STATUS, { id: placed.id, status: 'CONFIRMED' }, owner.token),
        h.call(CANCEL_ORDER, { id: placed.id }, patient.token),
        h.call(STATUS, { id: placed.id, status: 'CANCELLED' }, owner.token),
      ]);
      for (const r of results) if (r.errors) expect(errorCode(r)).toBe('CONFLICT');
      const [{ status }] = await db().execute<{ status: string }[]>(`select status from orders where id = ?`, [placed.id]);
      if (status !== 'CANCELLED') {
        expect(await balanceOf(h, event.prescriptionId, itemIds[0])).toEqual({ prescribed: 3, dispensed: 3 });
        ok(await h.call(CANCEL_ORDER, { id: placed.id }, owner.token));
      }
      expect(await balanceOf(h, event.prescriptionId, itemIds[0])).toEqual({ prescribed: 3, dispensed: 0 });
      expect(await quantityOf(h, branchId, itemIds[0])).toBe(100);
    }
  });

  it('a reservation holds units; racing cancels give them back once; a lapsed hold gives them back once', async () => {
    const { branchId, itemIds } = await seedPharmacy(h, {
      items: [{ name: 'Ritalin', quantity: 50, price: '2.00', prescriptionRequired: true }],
    });
    const patient = h.user('PATIENT');
    const { event } = await feedPrescription(h, { patientId: patient.id, items: [{ itemId: itemIds[0], quantity: 2 }] });
    const input = { branchId, items: [{ itemId: itemIds[0], quantity: 2 }], prescriptionId: event.prescriptionId };

    const r1 = ok(await h.call(RESERVE, { input }, patient.token)).reserveItems;
    expect(await balanceOf(h, event.prescriptionId, itemIds[0])).toEqual({ prescribed: 2, dispensed: 2 });
    const second = await h.call(RESERVE, { input }, patient.token);
    expect(reasonOf(second)).toBe('PRESCRIPTION_EXHAUSTED');
    const cancels = await Promise.all(Array.from({ length: 6 }, () => h.call(CANCEL_RESERVATION, { id: r1.id }, patient.token)));
    expect(cancels.filter((r) => !r.errors)).toHaveLength(1);
    expect(await balanceOf(h, event.prescriptionId, itemIds[0])).toEqual({ prescribed: 2, dispensed: 0 });

    const r2 = ok(await h.call(RESERVE, { input }, patient.token)).reserveItems;
    await new Promise((res) => setTimeout(res, Math.max(0, Date.parse(r2.expiresAt) - Date.now()) + 100));
    // The delayed job (through the real queue) may also be running: every path races for the one transition.
    const job = { name: 'reservation.expire', data: { reservationId: r2.id, expiresAt: r2.expiresAt } };
    const outcomes = await Promise.all([
      ...Array.from({ length: 5 }, () => expireJob(h.sg.orm, job).catch(() => 'retry')),
      h.call(CANCEL_RESERVATION, { id: r2.id }, patient.token),
    ]);
    expect(outcomes.filter((o) => o === 'expired').length).toBeLessThanOrEqual(1);
    const [{ status }] = await db().execute<{ status: string }[]>(`select status from reservations where id = ?`, [r2.id]);
    expect(status).toBe('EXPIRED');
    expect(await balanceOf(h, event.prescriptionId, itemIds[0])).toEqual({ prescribed: 2, dispensed: 0 });
  });

  it('an order fulfilling the patient’s own hold re-takes its units instead of counting them twice', async () => {
    const { branchId, itemIds } = await seedPharmacy(h, {
      items: [{ name: 'Adderall', quantity: 5, price: '2.00', prescriptionRequired: true }],
    });
    const patient = h.user('PATIENT');
    const { event } = await feedPrescription(h, { patientId: patient.id, items: [{ itemId: itemIds[0], quantity: 2 }] });
    const input = { branchId, items: [{ itemId: itemIds[0], quantity: 2 }], prescriptionId: event.prescriptionId };
    const held = ok(await h.call(RESERVE, { input }, patient.token)).reserveItems;
    const placed = ok(await h.call(PLACE_ORDER, { input }, patient.token)).placeOrder;
    expect(await balanceOf(h, event.prescriptionId, itemIds[0])).toEqual({ prescribed: 2, dispensed: 2 });
    const active = await db().execute<{ orderId: string | null; reservationId: string | null }[]>(
      `select order_id as "orderId", reservation_id as "reservationId" from prescription_dispenses
        where prescription_id = ? and reverted_at is null`,
      [event.prescriptionId],
    );
    expect(active).toEqual([{ orderId: placed.id, reservationId: null }]);
    const [{ status }] = await db().execute<{ status: string }[]>(`select status from reservations where id = ?`, [held.id]);
    expect(status).toBe('FULFILLED');
  });
});

describe('the pharmacy copy', () => {
  it('a CANCELLED event consumed while orders are in flight: nothing is dispensed after it commits', async () => {
    const { branchId, itemIds } = await seedPharmacy(h, {
      items: [{ name: 'Fentanyl', quantity: 1000, price: '2.00', prescriptionRequired: true }],
    });
    const patient = h.user('PATIENT');
    const { event } = await feedPrescription(h, { patientId: patient.id, items: [{ itemId: itemIds[0], quantity: 100 }] });
    const inFlight = Array.from({ length: 30 }, (_, i) =>
      new Promise((res) => setTimeout(res, i * 15)).then(() =>
        order(patient.token, branchId, itemIds[0], 1, event.prescriptionId),
      ),
    );
    await new Promise((res) => setTimeout(res, 200));
    const { result } = await feedPrescription(h, {
      id: event.prescriptionId,
      patientId: patient.id,
      items: [{ itemId: itemIds[0], quantity: 100 }],
      status: 'CANCELLED',
      version: 2,
    });
    expect(result).toBe('applied');
    const atCancel = (await balanceOf(h, event.prescriptionId, itemIds[0])).dispensed;
    // Anything that starts after the cancellation committed is refused.
    expect(reasonOf(await order(patient.token, branchId, itemIds[0], 1, event.prescriptionId))).toBe('PRESCRIPTION_INVALID');
    const results = await Promise.all(inFlight);
    const after = await balanceOf(h, event.prescriptionId, itemIds[0]);
    expect(after.dispensed).toBe(atCancel);
    expect(results.filter((r) => !r.errors)).toHaveLength(atCancel);
    for (const r of results.filter((x) => x.errors)) expect(reasonOf(r)).toBe('PRESCRIPTION_INVALID');
    expect(await quantityOf(h, branchId, itemIds[0])).toBe(1000 - atCancel);
  });

  it('version ordering: an older or repeated event changes nothing, whatever order they race in', async () => {
    const { branchId, itemIds } = await seedPharmacy(h, {
      items: [{ name: 'Ketamine', quantity: 10, price: '2.00', prescriptionRequired: true }],
    });
    const patient = h.user('PATIENT');
    const id = randomUUID();
    const base = { id, patientId: patient.id, items: [{ itemId: itemIds[0], quantity: 2 }] };
    expect((await feedPrescription(h, { ...base, version: 2, status: 'CANCELLED' })).result).toBe('applied');
    expect((await feedPrescription(h, { ...base, version: 1 })).result).toBe('stale');
    expect((await feedPrescription(h, { ...base, version: 2 })).result).toBe('stale');
    expect(reasonOf(await order(patient.token, branchId, itemIds[0], 1, id))).toBe('PRESCRIPTION_INVALID');

    const racing = randomUUID();
    const versions = [5, 3, 9, 1, 7, 2, 8, 4, 6];
    await Promise.all(
      versions.map((version) =>
        feedPrescription(h, { ...base, id: racing, version, status: version === 9 ? 'ACTIVE' : 'CANCELLED' }),
      ),
    );
    const [row] = await db().execute<{ version: string; status: string }[]>(
      `select version::text, status from prescriptions where id = ?`,
      [racing],
    );
    expect(row).toEqual({ version: '9', status: 'ACTIVE' });
    ok(await order(patient.token, branchId, itemIds[0], 1, racing));
  });
});

describe('fulfilment', () => {
  it('the patient, prescriber, admins and the dispensing pharmacy read it; others are refused', async () => {
    const { owner, branchId, itemIds } = await seedPharmacy(h, {
      items: [{ name: 'Valium', quantity: 10, price: '2.00', prescriptionRequired: true }],
    });
    const stranger = await seedPharmacy(h, { items: [] });
    const patient = h.user('PATIENT');
    const doctor = h.user('DOCTOR');
    const { event } = await feedPrescription(h, {
      patientId: patient.id,
      doctorUserId: doctor.id,
      items: [{ itemId: itemIds[0], quantity: 3 }],
    });
    const reps = { r: [{ __typename: 'Prescription', id: event.prescriptionId }] };
    const before = ok(await h.call(FULFILMENT, reps, patient.token))._entities[0].fulfilment;
    expect(before).toMatchObject({
      status: 'NOT_DISPENSED',
      lines: [{ prescribed: 3, dispensed: 0, remaining: 3 }],
      dispenses: [],
    });
    expect(errorCode(await h.call(FULFILMENT, reps, owner.token))).toBe('FORBIDDEN');

    const placed = ok(await order(patient.token, branchId, itemIds[0], 2, event.prescriptionId)).placeOrder;
    for (const token of [patient.token, doctor.token, owner.token, h.user('ADMIN').token]) {
      const f = ok(await h.call(FULFILMENT, reps, token))._entities[0].fulfilment;
      expect(f.status).toBe('PARTIALLY_DISPENSED');
      expect(f.lines).toEqual([{ prescribed: 3, dispensed: 2, remaining: 1, item: { id: itemIds[0], name: 'Valium' } }]);
      expect(f.dispenses).toHaveLength(1);
      expect(f.dispenses[0]).toMatchObject({ quantity: 2, item: { id: itemIds[0] }, branch: { id: branchId } });
      // The doctor learns what was dispensed, not the order itself.
      expect(f.dispenses[0].order).toEqual(token === doctor.token ? null : { id: placed.id });
    }
    for (const token of [stranger.owner.token, h.user('PATIENT').token, h.user('DOCTOR').token]) {
      expect(errorCode(await h.call(FULFILMENT, reps, token))).toBe('FORBIDDEN');
    }
    expect(errorCode(await h.call(FULFILMENT, reps))).toBe('UNAUTHENTICATED');
    ok(await order(patient.token, branchId, itemIds[0], 1, event.prescriptionId));
    expect(ok(await h.call(FULFILMENT, reps, patient.token))._entities[0].fulfilment.status).toBe('DISPENSED');

    const withRef = ok(
      await h.call(
        `query($r: [_Any!]!) { _entities(representations: $r) { ... on Order { prescription { id } } } }`,
        {
          r: [{ __typename: 'Order', id: placed.id }],
        },
        patient.token,
      ),
    );
    expect(withRef._entities[0].prescription).toEqual({ id: event.prescriptionId });
  });
});

describe('vetting', () => {
  const LIST = `query($city: String) { pharmacies(city: $city, first: 100) { nodes { id verificationStatus } } }`;
  const REVIEW = `mutation($id: ID!, $s: VerificationStatus!, $why: String) { reviewPharmacy(pharmacyId: $id, status: $s, reason: $why) { id verificationStatus } }`;
  const PENDING = `query($first: Int, $after: String) { pendingPharmacies(first: $first, after: $after) { totalCount nodes { id } pageInfo { hasNextPage endCursor } } }`;

  it('a PENDING pharmacy is not listed, not searchable and takes no orders until an admin approves it', async () => {
    const city = `Vetting-${randomUUID().slice(0, 6)}`;
    const p = await seedPharmacy(h, {
      name: 'Zanzibar Vetted Pharmacy',
      city,
      approve: false,
      items: [{ name: 'Vettedol', quantity: 5, price: '1.00' }],
    });
    const patient = h.user('PATIENT');
    expect(ok(await h.call(LIST, { city })).pharmacies.nodes).toEqual([]);
    const found = ok(
      await h.call(
        `query($c: String) { search(query: "Vettedol Zanzibar", city: $c) { pharmacies { id } products { item { id } } } }`,
        { c: city },
      ),
    );
    expect(found.search).toEqual({ pharmacies: [], products: [] });
    expect(ok(await h.call(`query($id: ID!) { pharmacy(id: $id) { id } }`, { id: p.pharmacyId })).pharmacy).toBeNull();
    expect(
      ok(await h.call(`query($id: ID!) { pharmacy(id: $id) { verificationStatus } }`, { id: p.pharmacyId }, p.owner.token))
        .pharmacy,
    ).toEqual({ verificationStatus: 'PENDING' });
    expect(errorCode(await order(patient.token, p.branchId, p.itemIds[0], 1))).toBe('NOT_FOUND');
    const held = await h.call(
      RESERVE,
      { input: { branchId: p.branchId, items: [{ itemId: p.itemIds[0], quantity: 1 }] } },
      patient.token,
    );
    expect(errorCode(held)).toBe('NOT_FOUND');
    expect(await quantityOf(h, p.branchId, p.itemIds[0])).toBe(5);

    expect(errorCode(await h.call(REVIEW, { id: p.pharmacyId, s: 'APPROVED' }, p.owner.token))).toBe('FORBIDDEN');
    expect(errorCode(await h.call(REVIEW, { id: p.pharmacyId, s: 'APPROVED' }, patient.token))).toBe('FORBIDDEN');
    expect(errorCode(await h.call(REVIEW, { id: randomUUID(), s: 'APPROVED' }, h.user('ADMIN').token))).toBe('NOT_FOUND');
    const reviewed = ok(await h.call(REVIEW, { id: p.pharmacyId, s: 'APPROVED' }, h.user('ADMIN').token)).reviewPharmacy;
    expect(reviewed.verificationStatus).toBe('APPROVED');
    expect(ok(await h.call(LIST, { city })).pharmacies.nodes).toEqual([{ id: p.pharmacyId, verificationStatus: 'APPROVED' }]);
    ok(await order(patient.token, p.branchId, p.itemIds[0], 1));
    const notices = await db().execute<{ payload: Record<string, unknown> }[]>(
      `select payload from outbox where payload->>'template' = 'pharmacy.reviewed' and payload->>'userId' = ?`,
      [p.owner.id],
    );
    expect(notices).toHaveLength(1);
    expect(notices[0].payload).toMatchObject({ variables: { status: 'APPROVED', pharmacyName: 'Zanzibar Vetted Pharmacy' } });
    // A repeat of the same decision tells nobody again.
    ok(await h.call(REVIEW, { id: p.pharmacyId, s: 'APPROVED' }, h.user('ADMIN').token));
    expect(
      await count(
        `select count(*)::int as n from outbox where payload->>'template' = 'pharmacy.reviewed' and payload->>'userId' = ?`,
        [p.owner.id],
      ),
    ).toBe(1);
  });

  it('pendingPharmacies: admin only, oldest first, paged', async () => {
    const admin = h.user('ADMIN');
    const created: string[] = [];
    for (let i = 0; i < 3; i++) created.push((await seedPharmacy(h, { approve: false, items: [] })).pharmacyId);
    expect(errorCode(await h.call(PENDING, {}, h.user('PHARMACY').token))).toBe('FORBIDDEN');
    const all = ok(await h.call(PENDING, { first: 100 }, admin.token)).pendingPharmacies;
    const ids: string[] = all.nodes.map((n: { id: string }) => n.id);
    expect(ids.filter((id) => created.includes(id))).toEqual(created);
    const page1 = ok(await h.call(PENDING, { first: 1 }, admin.token)).pendingPharmacies;
    const page2 = ok(await h.call(PENDING, { first: 1, after: page1.pageInfo.endCursor }, admin.token)).pendingPharmacies;
    expect([page1.nodes[0].id, page2.nodes[0].id]).toEqual(ids.slice(0, 2));
    ok(await h.call(REVIEW, { id: created[0], s: 'REJECTED', why: 'Licence unreadable' }, admin.token));
    const after = ok(await h.call(PENDING, { first: 100 }, admin.token)).pendingPharmacies;
    expect(after.nodes.map((n: { id: string }) => n.id)).not.toContain(created[0]);
  });
});

describe('shared catalogue', () => {
  it('once another pharmacy stocks an item, its creator may not rename it or change its prescription flag; an admin may', async () => {
    const a = await seedPharmacy(h, { items: [{ name: 'Shared tabs', quantity: 5, price: '1.00', prescriptionRequired: true }] });
    const UPDATE = `mutation($id: ID!, $i: ItemInput!) { updateItem(id: $id, input: $i) { name medicine { prescriptionRequired } } }`;
    const input = (name: string, prescriptionRequired: boolean) => ({
      i: { name, medicine: { prescriptionRequired, dosage: '500 mg' } },
      id: a.itemIds[0],
    });
    ok(await h.call(UPDATE, input('Shared tablets', true), a.owner.token));
    await anotherBranch(a.itemIds[0], 5);
    expect(errorCode(await h.call(UPDATE, input('Renamed', true), a.owner.token))).toBe('FORBIDDEN');
    expect(errorCode(await h.call(UPDATE, input('Shared tablets', false), a.owner.token))).toBe('FORBIDDEN');
    expect(ok(await h.call(UPDATE, input('Shared tablets', false), h.user('ADMIN').token)).updateItem).toEqual({
      name: 'Shared tablets',
      medicine: { prescriptionRequired: false },
    });
  });
});
