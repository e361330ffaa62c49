/**
 * Pharmacy benchmarks through the gateway, everything in this process (four subgraphs + gateway
 * on fresh databases, as the e2e tests run them):
 *  1. seed 10,000 catalogue items across 50 branches (10 pharmacies × 5 branches in 5 cities;
 *     each item stocked at 5 branches → 50,000 stock rows) straight into pharmacy_service;
 *  2. `search(query, city)` with typo'd queries: requests/s and p50/p95/p99 under concurrent clients;
 *  3. `placeOrder` (one line, random item and branch) by 50 concurrent patients: requests/s, p95,
 *     and a check that no stock row went negative and sold units equal order lines.
 * Then the RSS of this process (every service runs in it) and the targets with ✔/✘ (docs/performance.md).
 * Run: npm run bench:pharmacy  (env: BENCH_SECONDS=10, BENCH_CONNECTIONS=50)
 */
import { randomUUID } from 'node:crypto';
import { gql, startSupergraph } from '@hc/testing';
import { fmtMs as fmt, loadAverage, percentile as pct, selfRssReport, targetsReport } from './harness.js';
import { supergraph } from '../scripts/subgraphs.ts';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50);
process.stdout.write(`bench:pharmacy: load average at start ${loadAverage()}\n`);
const ITEMS = 10_000;
const PHARMACIES = 10;
const BRANCHES_PER_PHARMACY = 5;
const STOCKED_AT = 5;
const CITIES = ['Cairo', 'Alexandria', 'Giza', 'Luxor', 'Aswan'];

const DRUGS = [
  'Paracetamol',
  'Ibuprofen',
  'Amoxicillin',
  'Cetirizine',
  'Omeprazole',
  'Metformin',
  'Atorvastatin',
  'Loratadine',
  'Azithromycin',
  'Diclofenac',
  'Salbutamol',
  'Vitamin C',
  'Vitamin D3',
  'Zinc',
  'Aspirin',
  'Naproxen',
  'Ranitidine',
  'Fluconazole',
  'Clarithromycin',
  'Loperamide',
];
const FORMS = ['tablets', 'capsules', 'syrup', 'cream', 'drops', 'spray', 'sachets', 'gel'];
const BRANDS = ['Pharco', 'Eva', 'Amoun', 'Sedico', 'Minapharm', 'Memphis', 'Kahira', 'Adwia', 'Hikma', 'Novartis'];

/** `connections` workers issue requests back to back for `seconds`; latency of each is recorded. */
async function load(connections: number, seconds: number, request: (worker: number) => Promise<'ok' | 'expected' | 'failed'>) {
  const latencies: number[] = [];
  const outcomes = { ok: 0, expected: 0, failed: 0 };
  const until = Date.now() + seconds * 1000;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: connections }, async (_, worker) => {
      while (Date.now() < until) {
        const t = performance.now();
        outcomes[await request(worker)]++;
        latencies.push(performance.now() - t);
      }
    }),
  );
  const elapsed = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  return {
    requests: latencies.length,
    rps: latencies.length / elapsed,
    p50: pct(latencies, 50),
    p95: pct(latencies, 95),
    p99: pct(latencies, 99),
    ...outcomes,
  };
}

// One load generator on one address: the gateway's per-address rate limit would measure itself.
// LOG_LEVEL error: the notification worker's warnings about patients it has no contact for (bench tokens) would drown the figures.
const sg = await startSupergraph(supergraph, {
  env: { LOG_LEVEL: 'error' },
  envFor: { gateway: { RATE_LIMIT_ENABLED: 'false' } },
});
try {
  const db = sg.subgraphs.pharmacy.orm.em.getConnection();
  const t0 = performance.now();
  const pharmacyIds: string[] = [];
  const branchIds: string[] = [];
  for (let p = 0; p < PHARMACIES; p++) {
    const id = randomUUID();
    pharmacyIds.push(id);
    await db.execute(
      `insert into pharmacies (id, owner_id, name, license_number, address, phone, email, verification_status) values (?, ?, ?, ?, '1 Main St', '+20100000000', ?, 'APPROVED')`,
      [id, randomUUID(), `${BRANDS[p]} Pharmacy`, `BENCH-${p}`, `p${p}@bench.local`],
    );
    for (let b = 0; b < BRANCHES_PER_PHARMACY; b++) {
      const branchId = randomUUID();
      branchIds.push(branchId);
      await db.execute(`insert into pharmacy_branches (id, pharmacy_id, name, address, city) values (?, ?, ?, '2 Side St', ?)`, [
        branchId,
        id,
        `${BRANDS[p]} ${CITIES[b]}`,
        CITIES[b],
      ]);
    }
  }
  const owner = randomUUID();
  const itemIds: string[] = [];
  const names: string[] = [];
  for (let i = 0; i < ITEMS; i++) {
    itemIds.push(randomUUID());
    names.push(
      `${DRUGS[i % DRUGS.length]} ${BRANDS[Math.floor(i / DRUGS.length) % BRANDS.length]} ${(i % 97) * 10 + 50} mg ${FORMS[i % FORMS.length]} #${i}`,
    );
  }
  await db.execute(
    `insert into items (id, name, created_by, prescription_required) select unnest(?::uuid[]), unnest(?::text[]), ?, false`,
    [`{${itemIds.join(',')}}`, `{${names.map((n) => `"${n}"`).join(',')}}`, owner],
  );
  // Each item at STOCKED_AT consecutive branches (all 5 cities covered), plenty of units so the
  // order benchmark measures throughput, not sell-outs.
  await db.execute(
    `insert into stock_entries (id, branch_id, item_id, quantity, price, min_stock_level)
     select gen_random_uuid(), b.ids[1 + ((i.n + k) % array_length(b.ids, 1))], i.id, 100000, round((1 + (i.n % 500) / 7.0)::numeric, 2), 10
       from (select id, row_number() over (order by id) as n from items) i
       cross join generate_series(0, ? - 1) k
       cross join (select ?::uuid[] as ids) b`,
    [STOCKED_AT, `{${branchIds.join(',')}}`],
  );
  await db.execute('vacuum analyze');
  const [{ stock }] = await db.execute<{ stock: number }[]>('select count(*)::int as stock from stock_entries');
  process.stdout.write(
    `seeded ${ITEMS} items, ${branchIds.length} branches, ${stock} stock rows in ${((performance.now() - t0) / 1000).toFixed(1)} s\n`,
  );

  const SEARCH = `query Search($q: String!, $city: String) { search(query: $q, city: $city, first: 20) {
    pharmacies { id name } products { price available item { id name } branch { id city pharmacy { name } } } } }`;
  const queries = [
    'paracetmol',
    'ibuprofn',
    'amoxicilin',
    'vitamin d',
    'cetrizine',
    'omeprazol',
    'aspirn',
    'pharco',
    'hikma syrup',
  ];
  const sample = await gql(sg.url, SEARCH, { q: 'paracetmol', city: 'Cairo' });
  if (sample.errors) throw new Error(`search failed: ${JSON.stringify(sample.errors)}`);
  process.stdout.write(
    `sample search "paracetmol" in Cairo → ${sample.data!.search.products.length} offers, e.g. ${sample.data!.search.products[0]?.item.name}\n`,
  );
  let qi = 0;
  const single = await load(1, Math.min(SECONDS, 5), async () => {
    const q = queries[qi++ % queries.length];
    const res = await gql(sg.url, SEARCH, { q, city: qi % 2 ? CITIES[qi % CITIES.length] : null });
    return res.errors ? 'failed' : 'ok';
  });
  process.stdout.write(
    `search through gateway (1 client): ${single.rps.toFixed(0)} req/s, p50 ${fmt(single.p50)}, p95 ${fmt(single.p95)}, ${single.failed} errors of ${single.requests}\n`,
  );
  const search = await load(CONNECTIONS, SECONDS, async () => {
    const q = queries[qi++ % queries.length];
    const res = await gql(sg.url, SEARCH, { q, city: qi % 2 ? CITIES[qi % CITIES.length] : null });
    return res.errors ? 'failed' : 'ok';
  });
  process.stdout.write(
    `search through gateway (${CONNECTIONS} clients, ${SECONDS} s): ${search.rps.toFixed(0)} req/s, p50 ${fmt(search.p50)}, p95 ${fmt(search.p95)}, p99 ${fmt(search.p99)}, ${search.failed} errors of ${search.requests}\n`,
  );

  const stockRows = await db.execute<{ branchId: string; itemId: string }[]>(
    `select branch_id as "branchId", item_id as "itemId" from stock_entries order by random() limit 2000`,
  );
  const patients = Array.from({ length: 50 }, () => sg.tokenFor({ id: randomUUID(), role: 'PATIENT' }));
  const PLACE = `mutation Place($i: PlaceOrderInput!) { placeOrder(input: $i) { id totalAmount } }`;
  const before = await db.execute<{ sum: number }[]>('select sum(quantity)::bigint as sum from stock_entries');
  let pick = 0;
  const orders = await load(50, SECONDS, async (worker) => {
    const s = stockRows[pick++ % stockRows.length];
    const res = await gql(
      sg.url,
      PLACE,
      { i: { branchId: s.branchId, items: [{ itemId: s.itemId, quantity: 1 }] } },
      { token: patients[worker] },
    );
    if (!res.errors) return 'ok';
    return res.errors[0].extensions?.reason === 'INSUFFICIENT_STOCK' ? 'expected' : 'failed';
  });
  const after = await db.execute<{ sum: number }[]>('select sum(quantity)::bigint as sum from stock_entries');
  const [{ lines }] = await db.execute<{ lines: number }[]>(`select coalesce(sum(quantity), 0)::int as lines from order_items`);
  const [{ negative }] = await db.execute<{ negative: number }[]>(
    `select count(*)::int as negative from stock_entries where quantity < 0`,
  );
  process.stdout.write(
    `placeOrder through gateway (50 clients, ${SECONDS} s): ${orders.rps.toFixed(0)} req/s, p50 ${fmt(orders.p50)}, p95 ${fmt(orders.p95)}, p99 ${fmt(orders.p99)}; ` +
      `${orders.ok} placed, ${orders.expected} out of stock, ${orders.failed} errors\n`,
  );
  const sold = Number(before[0].sum) - Number(after[0].sum);
  process.stdout.write(
    `consistency: units taken from stock ${sold}, units on order lines ${lines}, negative stock rows ${negative}\n`,
  );
  process.stdout.write(
    `\nRSS at the end (every service runs in this process):\n${selfRssReport('supergraph')}\nload average now: ${loadAverage()}\n`,
  );
  const targets = [
    { name: 'placeOrder p95 (gateway, 50 clients)', value: fmt(orders.p95), goal: '< 1000 ms', ok: orders.p95 < 1000 },
    { name: 'placeOrder throughput (gateway)', value: `${orders.rps.toFixed(0)}/s`, goal: '≥ 100/s', ok: orders.rps >= 100 },
    { name: 'placeOrder errors', value: String(orders.failed), goal: '= 0', ok: orders.failed === 0 },
    {
      name: 'stock taken = units on order lines, none negative',
      value: `${sold} / ${lines}, ${negative} negative`,
      goal: 'equal, 0 negative',
      ok: sold === lines && negative === 0,
    },
    { name: `search p95 (gateway, ${CONNECTIONS} clients)`, value: fmt(search.p95), goal: '< 500 ms', ok: search.p95 < 500 },
  ];
  process.stdout.write(`\n${targetsReport(targets)}\n`);
  if (sold !== lines || negative !== 0) process.exitCode = 1;
} finally {
  await sg.stop();
}
