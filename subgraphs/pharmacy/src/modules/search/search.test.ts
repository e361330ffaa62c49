import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { errorCode } from '@hc/testing';
import { sqlRunner } from '../sql.js';
import { ok, PLACE_ORDER, seedPharmacy, startPharmacy, type Harness } from '../../../test/harness.js';

let h: Harness;
let cairo: Awaited<ReturnType<typeof seedPharmacy>>;
let alex: Awaited<ReturnType<typeof seedPharmacy>>;

const SEARCH = `query($q: String!, $city: String) { search(query: $q, city: $city) {
  pharmacies { name } products { price available item { name } branch { city } } } }`;

beforeAll(async () => {
  h = await startPharmacy();
  cairo = await seedPharmacy(h, {
    name: 'Nile Care Pharmacy',
    city: 'Cairo',
    items: [
      { name: 'Paracetamol 500 mg', quantity: 10, price: '3.25' },
      { name: 'Amoxicillin 250 mg', quantity: 4, price: '12.00', prescriptionRequired: true },
      { name: 'Sold out syrup', quantity: 0, price: '5.00' },
    ],
  });
  alex = await seedPharmacy(h, {
    name: 'Seaside Drugstore',
    city: 'Alexandria',
    items: [{ name: 'Paracetamol 1 g', quantity: 3, price: '4.10' }],
  });
});
afterAll(async () => {
  await h?.stop();
});

describe('search', () => {
  it('tolerates small typos and filters by city, listing only in-stock offers', async () => {
    const all = ok(await h.call(SEARCH, { q: 'paracetmol' })).search;
    expect(all.products.map((p: { item: { name: string } }) => p.item.name).sort()).toEqual([
      'Paracetamol 1 g',
      'Paracetamol 500 mg',
    ]);
    const inCairo = ok(await h.call(SEARCH, { q: 'paracetmol', city: 'cairo' })).search;
    expect(inCairo.products).toEqual([
      { price: '3.25', available: 10, item: { name: 'Paracetamol 500 mg' }, branch: { city: 'Cairo' } },
    ]);
    expect(ok(await h.call(SEARCH, { q: 'sold out syrup' })).search.products).toEqual([]);
    expect(ok(await h.call(SEARCH, { q: 'Nile Cre' })).search.pharmacies).toEqual([{ name: 'Nile Care Pharmacy' }]);
    const twoWords = ok(await h.call(SEARCH, { q: 'paracetamol 500' })).search.products;
    expect(twoWords.map((p: { item: { name: string } }) => p.item.name)).toEqual(['Paracetamol 500 mg']);
    const prefix = ok(await h.call(SEARCH, { q: 'amoxi' })).search.products;
    expect(prefix.map((p: { item: { name: string } }) => p.item.name)).toEqual(['Amoxicillin 250 mg']);
    expect(ok(await h.call(SEARCH, { q: 'seaside', city: 'Cairo' })).search.pharmacies).toEqual([]);
    expect(errorCode(await h.call(SEARCH, { q: ' ' }))).toBe('BAD_USER_INPUT');
  });

  it('corrects words against the vocabulary through its trigram index and finds items through the full-text index', async () => {
    // A realistic vocabulary (rolled back afterwards): with a handful of rows any plan is as good as another.
    let plan: { 'QUERY PLAN': string }[] = [];
    await h.sg.orm.em
      .fork()
      .transactional(async (tx) => {
        const run = sqlRunner(tx);
        await run(`insert into item_words select md5(g::text) from generate_series(1, 5000) g`);
        await run('analyze item_words');
        const words = await run<{ 'QUERY PLAN': string }>(`explain select word from item_words where 'paracetmol' <% word`);
        const items = await run<{ 'QUERY PLAN': string }>(
          `explain select id from items where search @@ to_tsquery('simple', 'paracetamol')`,
        );
        plan = [...words, ...items];
        throw new Error('rollback');
      })
      .catch(() => undefined);
    const text = plan.map((r) => r['QUERY PLAN']).join('\n');
    expect(text).toContain('item_words_trgm');
    expect(text).toMatch(/items_search_idx|Seq Scan on items/); // the full-text index once items outgrow a page
  });

  it('products lists only items that need no prescription', async () => {
    const res = ok(await h.call(`{ products(first: 50) { totalCount nodes { name medicine { prescriptionRequired } } } }`));
    const names = res.products.nodes.map((n: { name: string }) => n.name);
    expect(names).toContain('Paracetamol 500 mg');
    expect(names).not.toContain('Amoxicillin 250 mg');
  });

  it('pharmacies(city) lists the top pharmacies first: most deliveries in the last 30 days', async () => {
    const before = ok(await h.call(`{ pharmacies { nodes { name } } }`)).pharmacies.nodes.map((n: { name: string }) => n.name);
    expect(before).toEqual(['Nile Care Pharmacy', 'Seaside Drugstore']);
    const patient = h.user('PATIENT');
    const order = ok(
      await h.call(
        PLACE_ORDER,
        { input: { branchId: alex.branchId, items: [{ itemId: alex.itemIds[0], quantity: 1 }] } },
        patient.token,
      ),
    ).placeOrder;
    for (const status of ['CONFIRMED', 'PREPARING', 'OUT_FOR_DELIVERY', 'DELIVERED']) {
      ok(
        await h.call(
          `mutation($id: ID!, $s: OrderStatus!) { updateOrderStatus(id: $id, status: $s) { status } }`,
          { id: order.id, s: status },
          alex.owner.token,
        ),
      );
    }
    const after = ok(await h.call(`{ pharmacies { totalCount nodes { name } } }`)).pharmacies;
    expect(after.nodes.map((n: { name: string }) => n.name)).toEqual(['Seaside Drugstore', 'Nile Care Pharmacy']);
    const page = ok(
      await h.call(
        `{ pharmacies(city: "CAIRO", first: 1) { totalCount pageInfo { hasNextPage } nodes { name branches { city } } } }`,
      ),
    );
    const p1 = ok(await h.call(`{ pharmacies(first: 1) { pageInfo { endCursor hasNextPage } nodes { name } } }`)).pharmacies;
    expect(p1.pageInfo.hasNextPage).toBe(true);
    const p2 = ok(
      await h.call(`query($a: String) { pharmacies(first: 1, after: $a) { pageInfo { hasNextPage } nodes { name } } }`, {
        a: p1.pageInfo.endCursor,
      }),
    );
    expect(p2.pharmacies).toEqual({ pageInfo: { hasNextPage: false }, nodes: [{ name: 'Nile Care Pharmacy' }] });
    expect(errorCode(await h.call(`{ pharmacies(after: "nonsense") { totalCount } }`))).toBe('BAD_USER_INPUT');
    expect(page.pharmacies).toEqual({
      totalCount: 1,
      pageInfo: { hasNextPage: false },
      nodes: [{ name: 'Nile Care Pharmacy', branches: [{ city: 'Cairo' }] }],
    });
  });

  it('stock is visible to the owner only', async () => {
    const q = `query($r: [_Any!]!) { _entities(representations: $r) { ... on PharmacyBranch { stock(lowOnly: false) { totalCount } } } }`;
    const r = { r: [{ __typename: 'PharmacyBranch', id: cairo.branchId }] };
    expect(ok(await h.call(q, r, cairo.owner.token))._entities[0].stock.totalCount).toBe(3);
    expect(errorCode(await h.call(q, r, alex.owner.token))).toBe('FORBIDDEN');
  });
});

describe('catalogue', () => {
  it('admins create categories; only the creator or an admin updates an item', async () => {
    const admin = h.user('ADMIN');
    const cat = ok(
      await h.call(`mutation { createCategory(name: "Pain relief") { id name isActive } }`, {}, admin.token),
    ).createCategory;
    expect(errorCode(await h.call(`mutation { createCategory(name: "X") { id } }`, {}, cairo.owner.token))).toBe('FORBIDDEN');
    const upd = `mutation($id: ID!, $input: ItemInput!) { updateItem(id: $id, input: $input) { name category { name } medicine { dosage prescriptionRequired } } }`;
    const input = { name: 'Paracetamol 500 mg', categoryId: cat.id, medicine: { dosage: '500 mg', prescriptionRequired: false } };
    expect(ok(await h.call(upd, { id: cairo.itemIds[0], input }, cairo.owner.token)).updateItem).toEqual({
      name: 'Paracetamol 500 mg',
      category: { name: 'Pain relief' },
      medicine: { dosage: '500 mg', prescriptionRequired: false },
    });
    expect(errorCode(await h.call(upd, { id: cairo.itemIds[0], input }, alex.owner.token))).toBe('NOT_FOUND');
    const badPrice = await h.call(
      `mutation($i: StockInput!) { setStock(input: $i) { price } }`,
      { i: { branchId: cairo.branchId, itemId: cairo.itemIds[0], quantity: 1, price: '1.999' } },
      cairo.owner.token,
    );
    expect(errorCode(badPrice)).toBe('BAD_USER_INPUT');
    expect(ok(await h.call(`{ categories { name } }`)).categories).toEqual([{ name: 'Pain relief' }]);
  });
  it('admins deactivate and re-activate categories; inactive ones are hidden from public listings', async () => {
    const admin = h.user('ADMIN');
    const cat = ok(await h.call(`mutation { createCategory(name: "Seasonal") { id } }`, {}, admin.token)).createCategory;
    const input = { name: 'Sunscreen SPF 50', categoryId: cat.id };
    const item = ok(
      await h.call(`mutation($i: ItemInput!) { createItem(input: $i) { id } }`, { i: input }, cairo.owner.token),
    ).createItem;
    const PUBLIC = `query($c: ID!, $id: ID!) { categories { name } products(categoryId: $c) { totalCount } _entities(representations: [{ __typename: "Item", id: $id }]) { ... on Item { category { name } } } }`;
    const view = async (token?: string) => ok(await h.call(PUBLIC, { c: cat.id, id: item.id }, token));
    expect(await view()).toMatchObject({ products: { totalCount: 1 }, _entities: [{ category: { name: 'Seasonal' } }] });

    const OFF = `mutation($id: ID!) { deactivateCategory(id: $id) { isActive } }`;
    expect(errorCode(await h.call(OFF, { id: cat.id }, cairo.owner.token))).toBe('FORBIDDEN');
    expect(ok(await h.call(OFF, { id: cat.id }, admin.token)).deactivateCategory.isActive).toBe(false);
    const hidden = await view();
    expect(hidden.categories.map((c: { name: string }) => c.name)).not.toContain('Seasonal');
    expect(hidden).toMatchObject({ products: { totalCount: 0 }, _entities: [{ category: null }] });
    // Admins still see it, and only they may list inactive categories.
    expect((await view(admin.token))._entities).toEqual([{ category: { name: 'Seasonal' } }]);
    const ALL = `{ categories(includeInactive: true) { name isActive } }`;
    expect(ok(await h.call(ALL, {}, admin.token)).categories).toContainEqual({ name: 'Seasonal', isActive: false });
    expect(errorCode(await h.call(ALL, {}, cairo.owner.token))).toBe('FORBIDDEN');
    // No new items go into an inactive category.
    const into = await h.call(
      `mutation($i: ItemInput!) { createItem(input: $i) { id } }`,
      { i: { name: 'Hat', categoryId: cat.id } },
      cairo.owner.token,
    );
    expect(into.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', fields: [{ field: 'categoryId' }] });

    expect(
      ok(await h.call(`mutation($id: ID!) { activateCategory(id: $id) { isActive } }`, { id: cat.id }, admin.token))
        .activateCategory.isActive,
    ).toBe(true);
    expect(await view()).toMatchObject({ products: { totalCount: 1 }, _entities: [{ category: { name: 'Seasonal' } }] });
    expect(errorCode(await h.call(OFF, { id: '00000000-0000-4000-8000-000000000000' }, admin.token))).toBe('NOT_FOUND');
  });
});
