/**
 * placeOrder with a prescription-only line against placeOrder without one, on the pharmacy
 * subgraph alone (in this process, fresh database), in one bounded run:
 *  1. SQL statements per placeOrder request (begin/commit and the reload of the order included),
 *     read from the subgraph's statement counter over sequential orders;
 *  2. requests/s and p50/p95 under CONNECTIONS concurrent patients, each with its own
 *     prescription, alternating rounds of over-the-counter and prescription orders so both see
 *     the same machine load;
 *  3. a consistency check: units dispensed on prescriptions equal units on prescription orders.
 * Then the RSS of this process (the subgraph runs in it) and the targets with ✔/✘ (docs/performance.md).
 * Run: npm run bench:prescriptions  (env: BENCH_SECONDS=5 per round, BENCH_ROUNDS=2, BENCH_CONNECTIONS=20)
 */
import { randomUUID } from 'node:crypto';
import { gql, signTestToken, startTestSubgraph } from '@hc/testing';
import { process as applyPrescription } from '@hc/pharmacy-subgraph/prescriptions';
import { subgraphs } from '../scripts/subgraphs.ts';
import { fmtMs as fmt, loadAverage, percentile as pct, selfRssReport, targetsReport } from './harness.js';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 20);
const BRANCHES = 5;
process.stdout.write(`bench:prescriptions: load average at start ${loadAverage()}\n`);
const PLACE = `mutation Place($i: PlaceOrderInput!) { placeOrder(input: $i) { id totalAmount } }`;

const sg = await startTestSubgraph(subgraphs.pharmacy, { env: { LOG_LEVEL: 'error' } });
try {
  const db = sg.orm.em.getConnection();
  const pharmacyId = randomUUID();
  await db.execute(
    `insert into pharmacies (id, owner_id, name, license_number, address, phone, email, verification_status)
     values (?, ?, 'Bench Pharmacy', 'BENCH-RX', '1 Main St', '+20100000000', 'rx@bench.local', 'APPROVED')`,
    [pharmacyId, randomUUID()],
  );
  const branchIds = Array.from({ length: BRANCHES }, () => randomUUID());
  for (const [i, id] of branchIds.entries()) {
    await db.execute(
      `insert into pharmacy_branches (id, pharmacy_id, name, address, city) values (?, ?, ?, '2 Side St', 'Cairo')`,
      [id, pharmacyId, `Branch ${i}`],
    );
  }
  const otc = randomUUID();
  const rx = randomUUID();
  await db.execute(
    `insert into items (id, name, created_by, is_medicine, prescription_required) values (?, 'Bench plasters', ?, false, false), (?, 'Bench antibiotic', ?, true, true)`,
    [otc, randomUUID(), rx, randomUUID()],
  );
  await db.execute(
    `insert into stock_entries (id, branch_id, item_id, quantity, price) select gen_random_uuid(), b, i, 10000000, 3.50
       from unnest(?::uuid[]) b cross join unnest(?::uuid[]) i`,
    [`{${branchIds.join(',')}}`, `{${otc},${rx}}`],
  );
  // One patient (and one prescription) per client, plus one for the sequential statement count.
  const patients = await Promise.all(
    Array.from({ length: CONNECTIONS + 1 }, async () => {
      const id = randomUUID();
      const prescriptionId = randomUUID();
      await applyPrescription(sg.orm, {
        name: 'prescription.changed',
        data: {
          prescriptionId,
          patientId: id,
          doctorId: randomUUID(),
          doctorUserId: randomUUID(),
          appointmentId: randomUUID(),
          status: 'ACTIVE',
          issuedAt: new Date().toISOString(),
          expiresAt: new Date(Date.now() + 86_400_000).toISOString(),
          items: [{ itemId: rx, quantity: 1_000_000, dosageInstructions: null }],
          version: 1,
          occurredAt: new Date().toISOString(),
        },
      });
      return { token: signTestToken(sg.keys, { id, role: 'PATIENT' }), prescriptionId };
    }),
  );
  const input = (withRx: boolean, n: number, prescriptionId: string) => ({
    i: withRx
      ? { branchId: branchIds[n % BRANCHES], items: [{ itemId: rx, quantity: 1 }], prescriptionId }
      : { branchId: branchIds[n % BRANCHES], items: [{ itemId: otc, quantity: 1 }] },
  });

  // 1. Statements per request, sequentially (nothing else runs in this process meanwhile).
  const counted = patients[CONNECTIONS];
  const perRequest: Record<string, number> = {};
  for (const withRx of [false, true]) {
    const N = 20;
    const before = sg.counter.total;
    for (let n = 0; n < N; n++) {
      const res = await gql(sg.graphqlUrl, PLACE, input(withRx, n, counted.prescriptionId), { token: counted.token });
      if (res.errors) throw new Error(JSON.stringify(res.errors));
    }
    perRequest[withRx ? 'rx' : 'otc'] = (sg.counter.total - before) / N;
  }
  process.stdout.write(
    `statements per placeOrder request (incl. begin/commit and reload): without prescription ${perRequest.otc.toFixed(1)}, with a prescription line ${perRequest.rx.toFixed(1)}\n`,
  );

  // 2. Throughput and latency, alternating rounds.
  const samples: Record<'otc' | 'rx', { latencies: number[]; seconds: number; failed: number }> = {
    otc: { latencies: [], seconds: 0, failed: 0 },
    rx: { latencies: [], seconds: 0, failed: 0 },
  };
  for (let round = 0; round < ROUNDS; round++) {
    for (const kind of ['otc', 'rx'] as const) {
      const s = samples[kind];
      const until = Date.now() + SECONDS * 1000;
      const started = performance.now();
      await Promise.all(
        patients.slice(0, CONNECTIONS).map(async (p, worker) => {
          let n = worker;
          while (Date.now() < until) {
            const t = performance.now();
            const res = await gql(sg.graphqlUrl, PLACE, input(kind === 'rx', n++, p.prescriptionId), { token: p.token });
            s.latencies.push(performance.now() - t);
            if (res.errors) s.failed++;
          }
        }),
      );
      s.seconds += (performance.now() - started) / 1000;
    }
  }
  for (const kind of ['otc', 'rx'] as const) {
    const s = samples[kind];
    s.latencies.sort((a, b) => a - b);
    process.stdout.write(
      `placeOrder ${kind === 'rx' ? 'with a prescription line' : 'without prescription  '} (${CONNECTIONS} clients, ${ROUNDS}×${SECONDS} s): ` +
        `${(s.latencies.length / s.seconds).toFixed(0)} req/s, p50 ${fmt(pct(s.latencies, 50))}, p95 ${fmt(pct(s.latencies, 95))}, ` +
        `${s.failed} errors of ${s.latencies.length}\n`,
    );
  }

  // 3. Consistency.
  const [{ dispensed }] = await db.execute<{ dispensed: number }[]>(
    `select coalesce(sum(dispensed), 0)::int as dispensed from prescription_lines`,
  );
  const [{ onOrders }] = await db.execute<{ onOrders: number }[]>(
    `select coalesce(sum(quantity), 0)::int as "onOrders" from order_items where item_id = ?`,
    [rx],
  );
  process.stdout.write(`consistency: units dispensed on prescriptions ${dispensed}, prescription units on orders ${onOrders}\n`);
  process.stdout.write(`\nRSS at the end:\n${selfRssReport('pharmacy')}\nload average now: ${loadAverage()}\n`);
  const p95 = (kind: 'otc' | 'rx') => pct(samples[kind].latencies, 95);
  const rps = (kind: 'otc' | 'rx') => samples[kind].latencies.length / samples[kind].seconds;
  const targets = [
    {
      name: `placeOrder p95 without prescription (${CONNECTIONS} clients)`,
      value: fmt(p95('otc')),
      goal: '< 500 ms',
      ok: p95('otc') < 500,
    },
    { name: `placeOrder p95 with a prescription line`, value: fmt(p95('rx')), goal: '< 500 ms', ok: p95('rx') < 500 },
    {
      name: 'throughput with / without prescription',
      value: `${rps('rx').toFixed(0)} / ${rps('otc').toFixed(0)} req/s = ${(rps('rx') / rps('otc')).toFixed(2)}`,
      goal: '≥ 0.8',
      ok: rps('rx') / rps('otc') >= 0.8,
    },
    {
      name: 'statements added by a prescription line',
      value: (perRequest.rx - perRequest.otc).toFixed(1),
      goal: '≤ 1',
      ok: perRequest.rx - perRequest.otc <= 1,
    },
    {
      name: 'units dispensed = prescription units on orders',
      value: `${dispensed} / ${onOrders}`,
      goal: 'equal',
      ok: dispensed === onOrders,
    },
    {
      name: 'placeOrder errors',
      value: String(samples.otc.failed + samples.rx.failed),
      goal: '= 0',
      ok: samples.otc.failed + samples.rx.failed === 0,
    },
  ];
  process.stdout.write(`\n${targetsReport(targets)}\n`);
  if (dispensed !== onOrders || samples.otc.failed + samples.rx.failed > 0) process.exitCode = 1;
} finally {
  await sg.stop();
}
