import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Role } from '@hc/auth';
import { startSupergraph, type TestSupergraph, until } from '@hc/testing';
import { ok, PLACE_ORDER, seedPharmacy } from './harness.js';
import { supergraph } from '../../../scripts/subgraphs.ts';

type Res = { data?: any; errors?: { extensions?: Record<string, unknown> }[] };
const code = (r: Res) => r.errors?.[0]?.extensions?.code;
const reason = (r: Res) => r.errors?.[0]?.extensions?.reason;

const FIELDS = `status delivery { status scheduledFor trackingNumber failureReason attempts address { city } }`;
const STATUS = `mutation($id: ID!, $status: OrderStatus!) { updateOrderStatus(id: $id, status: $status) { ${FIELDS} } }`;
const SCHEDULE = `mutation($id: ID!, $date: DateTime!, $t: String!) { scheduleDelivery(orderId: $id, date: $date, trackingNumber: $t) { ${FIELDS} } }`;
const FAIL = `mutation($id: ID!, $r: String!) { markDeliveryFailed(orderId: $id, reason: $r) { ${FIELDS} } }`;
const RETRY = `mutation($id: ID!, $date: DateTime) { retryDelivery(orderId: $id, date: $date) { ${FIELDS} } }`;
const MY_ORDERS = `{ myOrders { nodes { id ${FIELDS} } } }`;
const HISTORY = `{ notificationHistory(first: 50) { nodes { template } } }`;

const inDays = (d: number) => new Date(Date.now() + d * 86_400_000).toISOString();

describe('deliveries and categories through the gateway', () => {
  let sg: TestSupergraph;
  /** The seeding helpers of this workspace, calling through the gateway. */
  let gw: { call: TestSupergraph['query']; user: (role: Role) => { id: string; role: Role; token: string } };
  const admin = () => gw.user('ADMIN');

  beforeAll(async () => {
    sg = await startSupergraph(supergraph);
    gw = {
      call: (query, variables, token) => sg.query(query, variables, token),
      user: (role) => {
        const id = randomUUID();
        return { id, role, token: sg.tokenFor({ id, role }) };
      },
    };
  });
  afterAll(async () => {
    await sg?.stop();
  });

  /** A patient notification knows (its read copy row), so the patient's messages are recorded. */
  async function knownPatient() {
    const p = gw.user('PATIENT');
    await sg.subgraphs.notification.orm.em
      .getConnection()
      .execute(`insert into contacts (user_id, name, email, role, updated_at) values (?, 'Pat', ?, 'PATIENT', now())`, [
        p.id,
        `pat.${p.id.slice(0, 8)}@example.com`,
      ]);
    return p;
  }

  it('schedule → fail → retry, by the owning pharmacy only; the patient sees it and is notified at each step', async () => {
    const { owner, branchId, itemIds } = await seedPharmacy(gw, {
      items: [{ name: 'Thermometer', quantity: 10, price: '9.00' }],
    });
    const rival = await seedPharmacy(gw, { items: [{ name: 'Gauze', quantity: 10, price: '1.00' }] });
    const patient = await knownPatient();
    const order = ok(
      await sg.query(
        PLACE_ORDER,
        {
          input: {
            branchId,
            items: [{ itemId: itemIds[0], quantity: 1 }],
            deliveryAddress: { type: 'HOME', street: '5 Nile St', city: 'Giza', country: 'EG' },
          },
        },
        patient.token,
      ),
    ).placeOrder;
    const id = order.id as string;
    ok(await sg.query(STATUS, { id, status: 'CONFIRMED' }, owner.token));
    const date = inDays(2);
    const t = `DHL-${randomUUID().slice(0, 8)}`;

    // Attackers: the patient, another pharmacy, an anonymous caller.
    expect(code(await sg.query(SCHEDULE, { id, date, t }, patient.token))).toBe('FORBIDDEN');
    expect(code(await sg.query(SCHEDULE, { id, date, t }, rival.owner.token))).toBe('NOT_FOUND');
    expect(code(await sg.query(SCHEDULE, { id, date, t }))).toBe('UNAUTHENTICATED');
    expect(code(await sg.query(SCHEDULE, { id, date: inDays(-1), t }, owner.token))).toBe('BAD_USER_INPUT');

    const scheduled = ok(await sg.query(SCHEDULE, { id, date, t }, owner.token)).scheduleDelivery;
    expect(scheduled).toEqual({
      status: 'CONFIRMED',
      delivery: {
        status: 'SCHEDULED',
        scheduledFor: date,
        trackingNumber: t,
        failureReason: null,
        attempts: 1,
        address: { city: 'Giza' },
      },
    });
    expect(code(await sg.query(FAIL, { id, r: 'x' }, rival.owner.token))).toBe('NOT_FOUND');
    expect(code(await sg.query(FAIL, { id, r: 'x' }, patient.token))).toBe('FORBIDDEN');
    const failed = ok(await sg.query(FAIL, { id, r: 'Nobody at home' }, owner.token)).markDeliveryFailed;
    expect(failed.delivery).toMatchObject({ status: 'FAILED', failureReason: 'Nobody at home', attempts: 1 });
    const twice = await sg.query(FAIL, { id, r: 'again' }, owner.token);
    expect([code(twice), reason(twice)]).toEqual(['CONFLICT', 'INVALID_DELIVERY_STATUS']);

    expect(code(await sg.query(RETRY, { id }, rival.owner.token))).toBe('NOT_FOUND');
    expect(code(await sg.query(RETRY, { id }, patient.token))).toBe('FORBIDDEN');
    const retryDate = inDays(3);
    const retried = ok(await sg.query(RETRY, { id, date: retryDate }, owner.token)).retryDelivery;
    expect(retried.delivery).toMatchObject({ status: 'SCHEDULED', scheduledFor: retryDate, trackingNumber: t, attempts: 2 });

    // The patient reads the delivery on their order; an admin may act on any order.
    const mine = ok(await sg.query(MY_ORDERS, {}, patient.token)).myOrders.nodes;
    expect(mine).toEqual([
      expect.objectContaining({ id, delivery: expect.objectContaining({ status: 'SCHEDULED', attempts: 2 }) }),
    ]);
    expect(ok(await sg.query(FAIL, { id, r: 'Road closed' }, admin().token)).markDeliveryFailed.delivery.status).toBe('FAILED');

    // Each step reached the patient's notifications (pharmacy outbox → notification worker).
    const templates = await until('the delivery notices', async () => {
      const nodes = (await sg.query(HISTORY, {}, patient.token)).data?.notificationHistory.nodes as { template: string }[];
      const names = nodes?.map((n) => n.template) ?? [];
      return names.filter((n) => n.startsWith('order.delivery_')).length >= 4 && names;
    });
    expect(templates.filter((n) => n.startsWith('order.delivery_')).sort()).toEqual([
      'order.delivery_failed',
      'order.delivery_failed',
      'order.delivery_scheduled',
      'order.delivery_scheduled',
    ]);
    // Another patient sees neither the order nor the notices.
    const other = await knownPatient();
    expect(ok(await sg.query(MY_ORDERS, {}, other.token)).myOrders.nodes).toEqual([]);
    expect(ok(await sg.query(HISTORY, {}, other.token)).notificationHistory.nodes).toEqual([]);
  });

  it('categories: only admins deactivate and activate; the effect shows in public listings through the gateway', async () => {
    const { owner } = await seedPharmacy(gw, { items: [] });
    const name = `Seasonal ${randomUUID().slice(0, 6)}`;
    const cat = ok(
      await sg.query(`mutation($n: String!) { createCategory(name: $n) { id } }`, { n: name }, admin().token),
    ).createCategory;
    const item = ok(
      await sg.query(
        `mutation($i: ItemInput!) { createItem(input: $i) { id } }`,
        { i: { name: 'Sunscreen', categoryId: cat.id } },
        owner.token,
      ),
    ).createItem;
    const PUBLIC = `query($c: ID!) { categories { name } products(categoryId: $c) { totalCount nodes { id category { name } } } }`;
    const view = async (token?: string) => ok(await sg.query(PUBLIC, { c: cat.id }, token));
    const listed = await view();
    expect(listed.categories.map((c: { name: string }) => c.name)).toContain(name);
    expect(listed.products).toEqual({ totalCount: 1, nodes: [{ id: item.id, category: { name } }] });

    const OFF = `mutation($id: ID!) { deactivateCategory(id: $id) { isActive } }`;
    const ON = `mutation($id: ID!) { activateCategory(id: $id) { isActive } }`;
    for (const token of [owner.token, gw.user('PATIENT').token, gw.user('DOCTOR').token])
      expect(code(await sg.query(OFF, { id: cat.id }, token))).toBe('FORBIDDEN');
    expect(code(await sg.query(OFF, { id: cat.id }))).toBe('UNAUTHENTICATED');
    expect((await view()).categories.map((c: { name: string }) => c.name)).toContain(name); // refusals changed nothing

    expect(ok(await sg.query(OFF, { id: cat.id }, admin().token)).deactivateCategory.isActive).toBe(false);
    const hidden = await view();
    expect(hidden.categories.map((c: { name: string }) => c.name)).not.toContain(name);
    expect(hidden.products.totalCount).toBe(0);
    const ALL = `{ categories(includeInactive: true) { name isActive } }`;
    expect(ok(await sg.query(ALL, {}, admin().token)).categories).toContainEqual({ name, isActive: false });
    expect(code(await sg.query(ALL, {}, owner.token))).toBe('FORBIDDEN');

    expect(code(await sg.query(ON, { id: cat.id }, owner.token))).toBe('FORBIDDEN');
    expect(ok(await sg.query(ON, { id: cat.id }, admin().token)).activateCategory.isActive).toBe(true);
    expect((await view()).products).toEqual({ totalCount: 1, nodes: [{ id: item.id, category: { name } }] });
  });
});
