import { randomUUID } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startSupergraph, type TestSupergraph, until } from '@hc/testing';
import type { Role } from '@hc/auth';
import { supergraph } from '../../../scripts/subgraphs.ts';

type Res = { data?: any; errors?: { extensions?: Record<string, unknown> }[] };
const code = (r: Res) => r.errors?.[0]?.extensions?.code;

function ok(res: Res): any {
  if (res.errors) throw new Error(JSON.stringify(res.errors));
  return res.data;
}

const PENDING = `query($first: Int, $after: String) {
  pendingPharmacies(first: $first, after: $after) {
    totalCount
    pageInfo { hasNextPage endCursor }
    nodes { id name licenseNumber verificationStatus owner { id name } }
  }
}`;
const REVIEW = `mutation($id: ID!, $s: VerificationStatus!, $r: String) {
  reviewPharmacy(pharmacyId: $id, status: $s, reason: $r) { id verificationStatus }
}`;
const HISTORY = `{ notificationHistory(first: 20) { nodes { template status } } }`;

/** Pharmacy vetting through the gateway (issue 17): the admin queue, reviews, notices and what patients see. */
describe('pharmacy review queue through the gateway', () => {
  let sg: TestSupergraph;
  let admin: { id: string; token: string };
  let mailDir: string;

  /** A user in auth (names resolve through federation) and in notification's contacts (notices are delivered). */
  async function person(role: Role, name = `${role.toLowerCase()} ${randomUUID().slice(0, 6)}`) {
    const id = randomUUID();
    const email = `${role.toLowerCase()}.${id.slice(0, 8)}@example.com`;
    await sg.subgraphs.auth.orm.em
      .getConnection()
      .execute(`insert into users (id, name, email, password_hash, role, is_verified) values (?, ?, ?, 'x', ?, true)`, [
        id,
        name,
        email,
        role,
      ]);
    await sg.subgraphs.notification.orm.em
      .getConnection()
      .execute(`insert into contacts (user_id, name, email, role, updated_at) values (?, ?, ?, ?, now())`, [
        id,
        name,
        email,
        role,
      ]);
    return { id, name, email, token: sg.tokenFor({ id, role, email }) };
  }

  /** A PHARMACY owner with a submitted (PENDING) pharmacy, one branch in `city` and 100 units of one item. */
  async function pendingPharmacy(city = 'Alexandria') {
    const owner = await person('PHARMACY');
    const tag = randomUUID().slice(0, 8);
    const p = ok(
      await sg.query(
        `mutation($i: PharmacyInput!) { upsertPharmacy(input: $i) { id verificationStatus } }`,
        {
          i: {
            name: `Review ${tag}`,
            licenseNumber: `PH-${tag}`,
            address: '1 Main St',
            phone: '+201000000000',
            email: `p${tag}@example.com`,
          },
        },
        owner.token,
      ),
    ).upsertPharmacy;
    expect(p.verificationStatus).toBe('PENDING');
    // The owner sets up meanwhile.
    const branchId = ok(
      await sg.query(
        `mutation($i: BranchInput!) { addBranch(input: $i) { id } }`,
        { i: { name: `Branch ${tag}`, address: '2 Side St', city } },
        owner.token,
      ),
    ).addBranch.id as string;
    const itemId = ok(
      await sg.query(`mutation($i: ItemInput!) { createItem(input: $i) { id } }`, { i: { name: `Vitamin ${tag}` } }, owner.token),
    ).createItem.id as string;
    ok(
      await sg.query(
        `mutation($i: StockInput!) { setStock(input: $i) { quantity } }`,
        { i: { branchId, itemId, quantity: 100, price: '3.50' } },
        owner.token,
      ),
    );
    return { owner, id: p.id as string, name: `Review ${tag}`, licenseNumber: `PH-${tag}`, branchId, itemId, tag };
  }

  const mailTo = (address: string) =>
    existsSync(mailDir)
      ? readdirSync(mailDir)
          .map((f) => readFileSync(join(mailDir, f), 'utf8'))
          .filter((m) => m.includes(address))
      : [];

  beforeAll(async () => {
    sg = await startSupergraph(supergraph);
    admin = await person('ADMIN');
    mailDir = join(sg.keys.dir, 'mail');
  });
  afterAll(async () => {
    await sg?.stop();
  });

  it('pendingPharmacies: admins only, oldest first with owner name; reviewed pharmacies leave the queue', async () => {
    const a = await pendingPharmacy();
    const b = await pendingPharmacy();
    const c = await pendingPharmacy();

    const queue = ok(await sg.query(PENDING, { first: 50 }, admin.token)).pendingPharmacies;
    expect(queue.totalCount).toBe(3);
    expect(queue.nodes).toEqual(
      [a, b, c].map((p) => ({
        id: p.id,
        name: p.name,
        licenseNumber: p.licenseNumber,
        verificationStatus: 'PENDING',
        owner: { id: p.owner.id, name: p.owner.name },
      })),
    );
    const first = ok(await sg.query(PENDING, { first: 2 }, admin.token)).pendingPharmacies;
    expect(first.nodes.map((n: { id: string }) => n.id)).toEqual([a.id, b.id]);
    expect(first.pageInfo.hasNextPage).toBe(true);
    const next = ok(await sg.query(PENDING, { first: 2, after: first.pageInfo.endCursor }, admin.token)).pendingPharmacies;
    expect(next.nodes.map((n: { id: string }) => n.id)).toEqual([c.id]);

    // Pharmacy owner, patient, doctor: FORBIDDEN; anonymous: UNAUTHENTICATED; nothing of the queue leaks.
    const patient = await person('PATIENT');
    const doctor = await person('DOCTOR');
    for (const token of [a.owner.token, patient.token, doctor.token]) {
      const res = await sg.query(PENDING, { first: 50 }, token);
      expect(code(res)).toBe('FORBIDDEN');
      expect(JSON.stringify(res.data ?? null)).not.toContain(a.licenseNumber);
      expect(code(await sg.query(REVIEW, { id: a.id, s: 'APPROVED' }, token))).toBe('FORBIDDEN');
    }
    expect(code(await sg.query(PENDING, { first: 50 }))).toBe('UNAUTHENTICATED');
    expect(code(await sg.query(REVIEW, { id: a.id, s: 'APPROVED' }))).toBe('UNAUTHENTICATED');

    expect(ok(await sg.query(REVIEW, { id: a.id, s: 'APPROVED' }, admin.token)).reviewPharmacy.verificationStatus).toBe(
      'APPROVED',
    );
    expect(
      ok(await sg.query(REVIEW, { id: c.id, s: 'REJECTED', r: 'Licence expired' }, admin.token)).reviewPharmacy
        .verificationStatus,
    ).toBe('REJECTED');
    const after = ok(await sg.query(PENDING, { first: 50 }, admin.token)).pendingPharmacies;
    expect(after.totalCount).toBe(1);
    expect(after.nodes.map((n: { id: string }) => n.id)).toEqual([b.id]);

    // A rejected pharmacy that edits its details is back in the queue (docs/pharmacy.md, Vetting), last.
    ok(
      await sg.query(
        `mutation($i: PharmacyInput!) { upsertPharmacy(input: $i) { id verificationStatus } }`,
        {
          i: {
            name: c.name,
            licenseNumber: `PH-${c.tag}-2`,
            address: '1 Main St',
            phone: '+201000000000',
            email: `p${c.tag}@example.com`,
          },
        },
        c.owner.token,
      ),
    );
    const requeued = ok(await sg.query(PENDING, { first: 50 }, admin.token)).pendingPharmacies.nodes.map(
      (n: { id: string }) => n.id,
    );
    expect(requeued).toEqual([b.id, c.id]);

    for (const p of [b, c]) ok(await sg.query(REVIEW, { id: p.id, s: 'REJECTED', r: 'cleanup' }, admin.token));
    expect(ok(await sg.query(PENDING, { first: 50 }, admin.token)).pendingPharmacies.nodes).toEqual([]);
  });

  it('until APPROVED a pharmacy is unlisted and takes no orders; a rejection is explained to the owner; approval opens it', async () => {
    const city = `City${randomUUID().slice(0, 6)}`;
    const p = await pendingPharmacy(city);
    const patient = await person('PATIENT');
    const LISTED = `query($city: String) { pharmacies(city: $city, first: 50) { nodes { id } } }`;
    const SEARCH = `query($q: String!, $city: String) { search(query: $q, city: $city) { pharmacies { id } products { branch { id } } } }`;
    const ONE = `query($id: ID!) { pharmacy(id: $id) { id verificationStatus } }`;
    const ORDER = `mutation($i: PlaceOrderInput!) { placeOrder(input: $i) { id status totalAmount } }`;
    const RESERVE = `mutation($i: ReserveInput!) { reserveItems(input: $i) { id status } }`;
    const line = { branchId: p.branchId, items: [{ itemId: p.itemId, quantity: 2 }] };

    const hidden = async () => {
      expect(ok(await sg.query(LISTED, { city }, patient.token)).pharmacies.nodes).toEqual([]);
      const found = ok(await sg.query(SEARCH, { q: `Vitamin ${p.tag}`, city }, patient.token)).search;
      expect(found).toEqual({ pharmacies: [], products: [] });
      for (const token of [patient.token, undefined])
        expect((await sg.query(ONE, { id: p.id }, token)).data?.pharmacy ?? null).toBeNull();
      expect(code(await sg.query(ORDER, { i: line }, patient.token))).toBe('NOT_FOUND');
      expect(code(await sg.query(RESERVE, { i: line }, patient.token))).toBe('NOT_FOUND');
    };

    await hidden();
    // The owner and admins see it.
    expect(ok(await sg.query(ONE, { id: p.id }, p.owner.token)).pharmacy.verificationStatus).toBe('PENDING');
    expect(ok(await sg.query(ONE, { id: p.id }, admin.token)).pharmacy.verificationStatus).toBe('PENDING');

    // A rejection must say why (a blank reason is no reason).
    for (const r of [null, '', '   ']) {
      const refused = await sg.query(REVIEW, { id: p.id, s: 'REJECTED', r }, admin.token);
      expect(code(refused)).toBe('BAD_USER_INPUT');
      expect((refused.errors?.[0]?.extensions?.fields as { field: string }[] | undefined)?.[0]?.field).toBe('reason');
    }
    const why = `Licence scan unreadable ${randomUUID().slice(0, 6)}`;
    expect(ok(await sg.query(REVIEW, { id: p.id, s: 'REJECTED', r: why }, admin.token)).reviewPharmacy.verificationStatus).toBe(
      'REJECTED',
    );
    await hidden();
    expect(ok(await sg.query(ONE, { id: p.id }, p.owner.token)).pharmacy.verificationStatus).toBe('REJECTED');
    // The reason: the owner and admins read it; nobody else does.
    const REASON = `query($id: ID!) { pharmacy(id: $id) { reviewReason } }`;
    for (const token of [p.owner.token, admin.token])
      expect(ok(await sg.query(REASON, { id: p.id }, token)).pharmacy.reviewReason).toBe(why);

    // The owner is told (pharmacy.reviewed), with the reason.
    const history = await until('the rejection notice', async () => {
      const nodes = (await sg.query(HISTORY, {}, p.owner.token)).data?.notificationHistory.nodes as
        { template: string; status: string }[] | undefined;
      return nodes?.some((n) => n.template === 'pharmacy.reviewed' && n.status !== 'QUEUED') && nodes;
    });
    expect(history.filter((n) => n.template === 'pharmacy.reviewed')).toEqual([
      { template: 'pharmacy.reviewed', status: 'SENT' },
    ]);
    const mail = await until('the rejection email', async () => mailTo(p.owner.email).find((m) => m.includes('REJECTED')));
    expect(mail).toContain(why);
    expect(
      ((await sg.query(HISTORY, {}, patient.token)).data?.notificationHistory.nodes as { template: string }[]).map(
        (n) => n.template,
      ),
    ).not.toContain('pharmacy.reviewed');

    // Approved: listed, found and orderable.
    expect(ok(await sg.query(REVIEW, { id: p.id, s: 'APPROVED' }, admin.token)).reviewPharmacy.verificationStatus).toBe(
      'APPROVED',
    );
    expect(ok(await sg.query(LISTED, { city }, patient.token)).pharmacies.nodes).toEqual([{ id: p.id }]);
    const found = ok(await sg.query(SEARCH, { q: `Vitamin ${p.tag}`, city }, patient.token)).search;
    expect(found.products).toEqual([{ branch: { id: p.branchId } }]);
    expect(ok(await sg.query(ONE, { id: p.id }, patient.token)).pharmacy).toEqual({ id: p.id, verificationStatus: 'APPROVED' });
    const order = ok(await sg.query(ORDER, { i: line }, patient.token)).placeOrder;
    expect(order.totalAmount).toBe('7.00');
    await until('the approval notice', async () => {
      const nodes = ((await sg.query(HISTORY, {}, p.owner.token)).data?.notificationHistory.nodes ?? []) as {
        template: string;
      }[];
      return nodes.filter((n) => n.template === 'pharmacy.reviewed').length === 2;
    });

    // A later rejection stops new orders; the order already placed continues.
    ok(await sg.query(REVIEW, { id: p.id, s: 'REJECTED', r: 'Inspection failed' }, admin.token));
    expect(code(await sg.query(ORDER, { i: line }, patient.token))).toBe('NOT_FOUND');
    const mine = ok(await sg.query(`{ myOrders(first: 10) { nodes { id } } }`, {}, patient.token)).myOrders.nodes;
    expect(mine).toEqual([{ id: order.id }]);
    // The patient still reaches the pharmacy through the order, but not the reason for the rejection.
    const viaOrder = ok(
      await sg.query(`{ myOrders(first: 10) { nodes { branch { pharmacy { id reviewReason } } } } }`, {}, patient.token),
    ).myOrders.nodes;
    expect(viaOrder).toEqual([{ branch: { pharmacy: { id: p.id, reviewReason: null } } }]);
    expect(ok(await sg.query(REASON, { id: p.id }, p.owner.token)).pharmacy.reviewReason).toBe('Inspection failed');
    const next = order.status === 'PENDING' ? 'CONFIRMED' : 'PREPARING';
    const moved = ok(
      await sg.query(
        `mutation($id: ID!, $s: OrderStatus!) { updateOrderStatus(id: $id, status: $s) { status } }`,
        { id: order.id, s: next },
        p.owner.token,
      ),
    );
    expect(moved.updateOrderStatus.status).toBe(next);
  });
});
