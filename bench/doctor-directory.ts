/**
 * Doctor benchmarks through the gateway, everything in this process (four subgraphs + gateway
 * on fresh databases, as the e2e tests run them):
 *  1. the public directory page (20 doctors with user names from auth and their workplaces):
 *     requests/s and p95 under concurrent clients;
 *  2. SQL statements per directory request at page sizes 10 and 100 (must be equal: batched);
 *  3. bookAppointment p95 under 50 concurrent clients (distinct slots), and 50 clients racing
 *     for one slot (exactly one wins).
 * Then the RSS of this process (every service runs in it) and the targets with ✔/✘ (docs/performance.md).
 * Run: npm run bench:doctor  (env: BENCH_SECONDS=10, BENCH_CONNECTIONS=50)
 */
import { randomUUID } from 'node:crypto';
import { gql, startSupergraph } from '@hc/testing';
import { fmtMs as fmt, loadAverage, percentile as pct, selfRssReport, targetsReport } from './harness.js';
import { seedDirectory } from '@hc/doctor-subgraph/testing';
import { supergraph } from '../scripts/subgraphs.ts';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50);
const LOAD_AT_START = loadAverage();

const DIRECTORY = `query Directory($first: Int, $spec: String) {
  doctors(first: $first, filter: { specialization: $spec }) {
    totalCount
    nodes { id specialization user { name } workplaces { name timeZone } }
  }
}`;

/** `connections` workers issue requests back to back for `seconds`; latency of each is recorded. */
async function load(connections: number, seconds: number, request: () => Promise<boolean>) {
  const latencies: number[] = [];
  let failures = 0;
  const until = Date.now() + seconds * 1000;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: connections }, async () => {
      while (Date.now() < until) {
        const t = performance.now();
        const ok = await request();
        latencies.push(performance.now() - t);
        if (!ok) failures++;
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
    failures,
  };
}

// One load generator on one address: the gateway's per-address rate limit would measure itself.
const sg = await startSupergraph(supergraph, {
  env: { LOG_LEVEL: 'error' },
  envFor: { gateway: { RATE_LIMIT_ENABLED: 'false' } },
});
try {
  const seeded = await seedDirectory(sg, 120, 'bench');
  const vars = { first: 20, spec: seeded.specialization };
  const check = await gql(sg.url, DIRECTORY, vars);
  if (check.errors || check.data!.doctors.nodes.length !== 20)
    throw new Error(`directory query failed: ${JSON.stringify(check.errors)}`);

  const statements = async (first: number) => {
    const before = sg.statements();
    const r = await gql(sg.url, DIRECTORY, { first, spec: seeded.specialization });
    if (r.errors) throw new Error(JSON.stringify(r.errors));
    const after = sg.statements();
    return Object.fromEntries(Object.keys(after).map((k) => [k, after[k as never] - before[k as never]])) as Record<
      string,
      number
    >;
  };
  const s10 = await statements(10);
  const s100 = await statements(100);
  const total = (s: Record<string, number>) => Object.values(s).reduce((a, b) => a + b, 0);

  // Warm-up, then the measured run.
  await load(10, 1, async () => !(await gql(sg.url, DIRECTORY, vars)).errors);
  const dir = await load(CONNECTIONS, SECONDS, async () => !(await gql(sg.url, DIRECTORY, vars)).errors);

  // Booking: client i books its own doctor's slots one after another (no contention); once through
  // the gateway, once straight to the doctor subgraph (days further out) to show the gateway's share.
  const BOOK = `mutation($i: BookAppointmentInput!) { bookAppointment(input: $i) { id } }`;
  const day = 24 * 3600_000;
  const base = Date.UTC(new Date().getUTCFullYear(), new Date().getUTCMonth(), new Date().getUTCDate()) + 2 * day;
  const slotsPerClient = 10;
  const bookingRun = async (url: string, firstDay: number) => {
    const latencies: number[] = [];
    let failures = 0;
    const t0 = performance.now();
    await Promise.all(
      seeded.doctors.slice(0, 50).map(async (doc, i) => {
        const token = sg.tokenFor({ id: randomUUID(), role: 'PATIENT' });
        for (let k = 0; k < slotsPerClient; k++) {
          // 09:00 Cairo (UTC+2 outside summer time) + k*30 min.
          const startsAt = new Date(base + (firstDay + (i % 10)) * day + 7 * 3600_000 + k * 30 * 60_000).toISOString();
          const t = performance.now();
          // Straight to the subgraph: signed as the gateway signs (the harness's shared secret).
          const signWith = url === sg.url ? undefined : sg.sharedSecret;
          const r = await gql(url, BOOK, { i: { workplaceId: doc.workplaceId, startsAt } }, { token, signWith });
          latencies.push(performance.now() - t);
          if (r.errors) failures++;
        }
      }),
    );
    latencies.sort((a, b) => a - b);
    return {
      count: latencies.length,
      seconds: (performance.now() - t0) / 1000,
      p50: pct(latencies, 50),
      p95: pct(latencies, 95),
      failures,
    };
  };
  const viaGateway = await bookingRun(sg.url, 0);
  const direct = await bookingRun(sg.subgraphs.doctor.graphqlUrl, 10);

  // Contention: 50 patients race for one slot.
  const target = seeded.doctors[60];
  const raceAt = new Date(base + 25 * day + 8 * 3600_000).toISOString();
  const race = await Promise.all(
    Array.from({ length: 50 }, async () => {
      const t = performance.now();
      const r = await gql(
        sg.url,
        BOOK,
        { i: { workplaceId: target.workplaceId, startsAt: raceAt } },
        { token: sg.tokenFor({ id: randomUUID(), role: 'PATIENT' }) },
      );
      const e = r.errors?.[0]?.extensions;
      return {
        ms: performance.now() - t,
        ok: !r.errors,
        conflict: e?.reason === 'SLOT_UNAVAILABLE',
        other: e && e.reason !== 'SLOT_UNAVAILABLE' ? `${e.code}/${e.reason ?? ''}` : null,
      };
    }),
  );
  const raceMs = race.map((r) => r.ms).sort((a, b) => a - b);

  const lines = [
    `doctor benchmarks (in-process supergraph, ${CONNECTIONS} connections, ${SECONDS}s, load average at start ${LOAD_AT_START})`,
    ``,
    `directory page (20 doctors + user names + workplaces) through the gateway:`,
    `  ${dir.requests} requests, ${dir.rps.toFixed(0)} req/s, p50 ${fmt(dir.p50)}, p95 ${fmt(dir.p95)}, failures ${dir.failures}`,
    `SQL statements per directory request:`,
    `  first: 10  → ${total(s10)} (${JSON.stringify(s10)})`,
    `  first: 100 → ${total(s100)} (${JSON.stringify(s100)})`,
    `  equal: ${total(s10) === total(s100) ? 'yes' : 'NO'}`,
    `bookAppointment, 50 concurrent clients × ${slotsPerClient} bookings (distinct slots):`,
    ...[['through the gateway', viaGateway] as const, ['straight to the doctor subgraph', direct] as const].map(
      ([label, r]) =>
        `  ${label}: ${r.count} in ${r.seconds.toFixed(1)}s, p50 ${fmt(r.p50)}, p95 ${fmt(r.p95)}, failures ${r.failures}`,
    ),
    `bookAppointment, 50 clients racing for one slot:`,
    `  ${race.filter((r) => r.ok).length} succeeded, ${race.filter((r) => r.conflict).length} CONFLICT/SLOT_UNAVAILABLE, p95 ${fmt(pct(raceMs, 95))}${
      race.some((r) => r.other)
        ? `, other: ${race
            .filter((r) => r.other)
            .map((r) => r.other)
            .join(', ')}`
        : ''
    }`,
  ];
  const won = race.filter((r) => r.ok).length;
  const lost = race.filter((r) => r.conflict).length;
  const bookingRps = viaGateway.count / viaGateway.seconds;
  const targets = [
    {
      name: 'bookAppointment p95 (gateway, 50 clients)',
      value: fmt(viaGateway.p95),
      goal: '< 1000 ms',
      ok: viaGateway.p95 < 1000,
    },
    {
      name: 'bookAppointment throughput (gateway)',
      value: `${bookingRps.toFixed(0)}/s`,
      goal: '≥ 100/s',
      ok: bookingRps >= 100,
    },
    {
      name: 'bookings failed (distinct slots)',
      value: String(viaGateway.failures + direct.failures),
      goal: '= 0',
      ok: viaGateway.failures + direct.failures === 0,
    },
    {
      name: 'race for one slot (50 clients)',
      value: `${won} won, ${lost} SLOT_UNAVAILABLE`,
      goal: '1 won, 49 SLOT_UNAVAILABLE',
      ok: won === 1 && lost === 49,
    },
    {
      name: 'SQL statements per directory page, 10 vs 100',
      value: `${total(s10)} / ${total(s100)}`,
      goal: 'equal',
      ok: total(s10) === total(s100),
    },
    { name: 'directory p95 (gateway)', value: fmt(dir.p95), goal: '< 250 ms', ok: dir.p95 < 250 },
  ];
  lines.push(
    '',
    'RSS at the end (every service runs in this process):',
    selfRssReport('supergraph'),
    `load average now: ${loadAverage()}`,
  );
  lines.push('', targetsReport(targets));
  process.stdout.write(`${lines.join('\n')}\n`);
  if (total(s10) !== total(s100) || won !== 1) process.exitCode = 1;
} finally {
  await sg.stop();
}
