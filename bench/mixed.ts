// npm run bench:mixed — a realistic mixed workload through the gateway, and where its time goes.
//   1. four subgraphs + our gateway + Hive Gateway as child processes over fresh databases
//      (NODE_ENV=production, LOG_LEVEL=warn, response cache and rate limits off), a world seeded
//      through the services' own code and API (bench/mixed-world.ts);
//   2. the fixed weighted mix (bench/mixed-world.ts OPERATIONS) from 200 signed-in users and
//      anonymous visitors, every answer checked, against our gateway and Hive Gateway in
//      interleaved rounds: rps, p50/p95/p99, errors, per-operation p95, and CPU ms per request of
//      every process (gateway, subgraphs, PostgreSQL backends, Redis) read from /proc;
//   3. SQL statements per request of each operation alone (db_statements_total), at two page sizes
//      where it pages;
//   4. the ten most frequent statements under the mix (sampled by @hc/db, DB_STATEMENT_SAMPLES_FILE)
//      and, with BENCH_EXPLAIN=1, EXPLAIN (ANALYZE, BUFFERS) of each → bench/results/explain.md.
// Env: BENCH_SECONDS (30 per target), BENCH_CONNECTIONS (16), BENCH_ROUNDS (3), BENCH_PROFILE=1
// (V8 CPU profiles of every service → bench/results/prof/, top self-time functions printed),
// BENCH_EXPLAIN=1 (BENCH_EXPLAIN_TOP=10: how many statements), BENCH_SIGNING=off (no gateway →
// subgraph signatures; the stack then runs in development mode), DATABASE_SERVER_URL, REDIS_URL.
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { MikroORM } from '@mikro-orm/postgresql';
import pg from 'pg';
import { ormConfig, type StatementSample } from '@hc/db';
import { root } from './harness.js';
import {
  metric,
  cpuDelta,
  cpuSnapshot,
  gql,
  mergeMix,
  OPERATIONS,
  rng,
  rssMb,
  runMix,
  seedMixedWorld,
  startMixedStack,
  statementCounts,
  SUBGRAPHS,
  type MixedStack,
  type MixResult,
  type SubgraphName,
  type World,
} from './mixed-world.js';

/**
 * The first measurement of this mix through our gateway (16 connections, before the CPU work of
 * issue 18): the throughput target is twice this.
 */
export const BASELINE_MIXED_RPS = 311;
const P95_TARGET_MS = 60;

const SECONDS = Number(process.env.BENCH_SECONDS ?? 30);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 16);
const ROUNDS = Math.max(1, Number(process.env.BENCH_ROUNDS ?? 3));
const PROFILE = Boolean(process.env.BENCH_PROFILE);
/** BENCH_SIGNING=off: no gateway → subgraph signatures (and NODE_ENV=development, see startMixedStack). */
const SIGNED = process.env.BENCH_SIGNING !== 'off';
const EXPLAIN = Boolean(process.env.BENCH_EXPLAIN);
/** How many of the most frequent statements to explain (the brief: ten; more to hunt for missing indexes). */
const EXPLAIN_TOP = Number(process.env.BENCH_EXPLAIN_TOP ?? 10);
const resultsDir = path.join(root, 'bench', 'results');
const profileDir = path.join(resultsDir, 'prof');

const log = (line = '') => process.stdout.write(`${line}\n`);
const loadavg = () =>
  os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
const fmt = (n: number, d = 1) => (Number.isFinite(n) ? n.toFixed(d) : '-');
const mark = (ok: boolean) => (ok ? '✔' : '✘');

// ---------------------------------------------------------------------------- statements

async function snapshotSamples(stack: MixedStack): Promise<Record<SubgraphName, StatementSample[]>> {
  const out = {} as Record<SubgraphName, StatementSample[]>;
  for (const name of SUBGRAPHS) {
    const file = stack.samplesFile!(name);
    rmSync(file, { force: true });
    stack.services.find((s) => s.name === name)!.child.kill('SIGUSR2');
    const deadline = Date.now() + 5000;
    while (!existsSync(file) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    await new Promise((r) => setTimeout(r, 100));
    out[name] = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as StatementSample[]) : [];
  }
  return out;
}

/** Statements that ran between two snapshots, with counts, most frequent first. */
function samplesDelta(before: Record<SubgraphName, StatementSample[]>, after: Record<SubgraphName, StatementSample[]>) {
  const rows: (StatementSample & { subgraph: SubgraphName })[] = [];
  for (const name of SUBGRAPHS) {
    const prev = new Map(before[name].map((s) => [s.sql, s.count]));
    for (const s of after[name]) {
      const n = s.count - (prev.get(s.sql) ?? 0);
      if (n > 0) rows.push({ ...s, count: n, subgraph: name });
    }
  }
  return rows.sort((a, b) => b.count - a.count);
}

/** Tables whose size does not grow with use (everything else does). */
const FIXED_TABLES = new Set(['categories', 'mikro_orm_migrations', 'notification_templates', 'audit_chain_head']);

async function explainTop(
  stack: MixedStack,
  top: (StatementSample & { subgraph: SubgraphName })[],
  requests: number,
): Promise<{ markdown: string; seqScans: string[] }> {
  const orms = {} as Record<SubgraphName, MikroORM>;
  for (const name of SUBGRAPHS)
    orms[name] = await MikroORM.init(ormConfig({ databaseUrl: stack.databases[name], entities: [], migrations: [] }));
  const seqScans: string[] = [];
  for (const name of SUBGRAPHS) await orms[name].em.getConnection().execute('analyze');
  const parts: string[] = [
    `# EXPLAIN of the top statements under the mixed workload`,
    '',
    `Generated by \`BENCH_EXPLAIN=1 npm run bench:mixed\` on ${new Date().toISOString()} (load average ${loadavg()}).`,
    `The ${top.length} most frequent SQL statements the subgraphs sent while the mix ran (${requests} gateway requests),`,
    'each explained with the parameters of one real instance, inside a transaction that is rolled back.',
    'Tables are ANALYZEd first. A Seq Scan on a table that grows with use is explained again with',
    '`enable_seqscan = off`: ✘ when no index can serve the statement, ✔ when one does (at bench sizes the',
    'planner rightly prefers reading a few pages).',
    '',
  ];
  try {
    for (const [i, s] of top.entries()) {
      const platform = orms[s.subgraph].em.getPlatform();
      const params = s.sample.params.map((p) =>
        typeof p === 'string' && /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/.test(p) ? new Date(p) : p,
      );
      const sql = platform.formatQuery(s.sample.sql, params);
      const client = new pg.Client({ connectionString: stack.databases[s.subgraph] });
      await client.connect();
      const explain = async (seqscan: boolean) => {
        try {
          await client.query('begin');
          if (!seqscan) await client.query('set local enable_seqscan = off');
          const { rows } = await client.query(`explain (analyze, buffers) ${sql}`);
          return rows.map((r: Record<string, string>) => r['QUERY PLAN']).join('\n');
        } catch (error) {
          return `EXPLAIN failed: ${(error as Error).message}`;
        } finally {
          await client.query('rollback').catch(() => undefined);
        }
      };
      // With seq scans disabled the planner still picks one only when no index can be used at all.
      // (A whole-index walk with a filter is not evidence: on tables of a few rows the planner walks
      // any small index, e.g. a partial one matching another predicate, rather than the key.)
      const seqOn = (text: string) =>
        [...text.matchAll(/Seq Scan on (\w+)/g)].map((m) => m[1]).filter((t) => !FIXED_TABLES.has(t));
      const plan = await explain(true);
      const scanned = seqOn(plan);
      // On a small table the planner rightly prefers a Seq Scan; with seq scans disabled it shows
      // whether an index would serve the statement once the table is large. Only then is it fine.
      let verdict = '✔';
      let forced = '';
      if (scanned.length) {
        forced = await explain(false);
        const still = seqOn(forced);
        const sizes = await client.query<{ relname: string; n: string }>(
          'select relname, n_live_tup::text as n from pg_stat_user_tables where relname = any($1::text[])',
          [scanned],
        );
        const rows = sizes.rows.map((r) => `${r.relname} ${r.n} rows`).join(', ');
        if (still.length) {
          verdict = `✘ Seq Scan on ${still.join(', ')} even with enable_seqscan off: no index serves it (${rows})`;
          for (const t of still) seqScans.push(`#${i + 1} ${s.subgraph}: Seq Scan on ${t}, no index serves it`);
        } else
          verdict = `✔ Seq Scan on ${scanned.join(', ')} at this size (${rows}); an index serves it once larger (plan below)`;
      }
      await client.end();
      parts.push(
        `## ${i + 1}. ${s.subgraph}: ${s.count} times (${fmt(s.count / requests, 2)} per request) ${verdict}`,
        '',
        '```sql',
        s.sql,
        '```',
        '',
        '```',
        plan,
        '```',
        '',
        ...(forced ? ['With `enable_seqscan = off`:', '', '```', forced, '```', ''] : []),
      );
    }
  } finally {
    for (const orm of Object.values(orms)) await orm.close();
  }
  return { markdown: parts.join('\n'), seqScans };
}

// ---------------------------------------------------------------------------- V8 profiles

interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number } }[];
  startTime: number;
  samples: number[];
  timeDeltas: number[];
}

/**
 * The measured windows in the profiles' clock: V8 stamps samples with the system's monotonic
 * clock in µs, the same clock as this process's `process.hrtime` (Linux CLOCK_MONOTONIC).
 */
const windows: [number, number][] = [];
const nowUs = () => Number(process.hrtime.bigint() / 1000n);

/** Self time by function (name + file:line) in the measured windows, top `n`. */
function topFunctions(file: string, n = 15) {
  const prof = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(prof.nodes.map((node) => [node.id, node]));
  const self = new Map<string, number>();
  let total = 0;
  let t = prof.startTime;
  for (let i = 0; i < prof.samples.length; i++) {
    t += prof.timeDeltas[i] ?? 0;
    const us = prof.timeDeltas[i + 1] ?? 0; // a sample's weight: the time until the next one
    if (!windows.some(([a, b]) => t >= a && t <= b)) continue;
    const node = byId.get(prof.samples[i]);
    if (!node) continue;
    const { functionName, url, lineNumber } = node.callFrame;
    if (functionName === '(idle)' || functionName === '(program)') continue;
    total += us;
    const where = url ? `${url.replace(`file://${root}/`, '').replace(/^.*node_modules\//, '')}:${lineNumber + 1}` : '';
    const key = `${functionName || '(anonymous)'} ${where}`.trim();
    self.set(key, (self.get(key) ?? 0) + us);
  }
  const rows = [...self]
    .sort((a, b) => b[1] - a[1])
    .slice(0, n)
    .map(([name, us]) => ({ name, ms: us / 1000, share: us / total }));
  return { total: total / 1000, rows };
}

// ---------------------------------------------------------------------------- main

async function main() {
  log(`load average at start: ${loadavg()} (other work on the machine skews every figure)`);
  log(
    `bench:mixed — ${SECONDS}s per target in ${ROUNDS} interleaved rounds, ${CONNECTIONS} connections, ${os.cpus().length} cores, Node ${process.version}`,
  );
  if (PROFILE) {
    rmSync(profileDir, { recursive: true, force: true });
    mkdirSync(profileDir, { recursive: true });
  }
  const stack = await startMixedStack({
    signed: SIGNED,
    hive: true,
    sampleStatements: true,
    profileDir: PROFILE ? profileDir : undefined,
    log,
  });
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    await stack.stop();
    for (const name of SUBGRAPHS) rmSync(stack.samplesFile!(name), { force: true });
  };
  process.on('SIGINT', () => void stop().then(() => process.exit(130)));
  try {
    await measure(stack);
  } finally {
    await stop();
  }
  if (PROFILE) printProfiles();
}

async function measure(stack: MixedStack) {
  log('seeding:');
  const world = await seedMixedWorld(stack, undefined, log);

  // Every operation once through both gateways before measuring: same answers, no errors.
  const r = rng(99);
  for (const op of OPERATIONS) {
    if (op.name === 'bookAppointment' || op.name === 'cancelAppointment' || op.name === 'placeOrder') continue;
    const req = op.make(world, r);
    for (const [target, url] of [
      ['ours', stack.gatewayUrl],
      ['Hive', stack.hiveUrl!],
    ]) {
      const res = await gql(url, req.query, req.variables, req.token);
      if (res.errors || !res.data || !req.check(res.data))
        throw new Error(`${op.name} through ${target}: ${JSON.stringify(res.errors ?? res.data).slice(0, 500)}`);
    }
  }
  log('every read answers correctly through both gateways');

  // Warm-up: JIT, plan caches, pools.
  await runMix('warm', stack.gatewayUrl, world, { seconds: 3, connections: CONNECTIONS, seed: 1000 });
  await runMix('warm', stack.hiveUrl!, world, { seconds: 3, connections: CONNECTIONS, seed: 1001 });

  const samplesBefore = await snapshotSamples(stack);
  const targets = [
    { name: 'our gateway', url: stack.gatewayUrl },
    { name: 'Hive Gateway', url: stack.hiveUrl! },
  ];
  const parts = targets.map(() => [] as MixResult[]);
  const cpu = targets.map(() => ({}) as Record<string, number>);
  // Requests each subgraph answered per gateway request: how the two gateways split the same operations.
  const fetches = targets.map(() => ({}) as Record<string, number>);
  const subgraphRequests = async () => {
    const out = {} as Record<SubgraphName, number>;
    for (const name of SUBGRAPHS) out[name] = await metric(stack, stack.urls[name], 'graphql_requests_total');
    return out;
  };
  const slice = Math.max(2, Math.round(SECONDS / ROUNDS));
  for (let round = 0; round < ROUNDS; round++)
    for (const [i, t] of targets.entries()) {
      const requestsBefore = await subgraphRequests();
      const before = await cpuSnapshot(stack);
      const from = nowUs();
      parts[i].push(await runMix(t.name, t.url, world, { seconds: slice, connections: CONNECTIONS, seed: round * 10 + i }));
      windows.push([from, nowUs()]);
      const delta = cpuDelta(before, await cpuSnapshot(stack));
      for (const [k, v] of Object.entries(delta)) cpu[i][k] = (cpu[i][k] ?? 0) + v;
      const requestsAfter = await subgraphRequests();
      for (const name of SUBGRAPHS) fetches[i][name] = (fetches[i][name] ?? 0) + requestsAfter[name] - requestsBefore[name];
    }
  const results = parts.map(mergeMix);
  const samplesAfter = await snapshotSamples(stack);
  const rss = rssMb(stack);
  const loadAfterMix = loadavg();

  log('');
  log(`mix: ${OPERATIONS.map((o) => `${o.name} ${o.weight}`).join(', ')}`);
  log(`users: ${world.users.length} signed in (each request with its user's token) + anonymous visitors`);
  log(
    SIGNED
      ? 'signing: gateway → subgraph requests signed (SUBGRAPH_SHARED_SECRET) by both gateways, NODE_ENV=production'
      : 'signing: OFF for both gateways (BENCH_SIGNING=off; services in NODE_ENV=development, which production requires for no secret)',
  );
  log('');
  const head = ['target', 'rps', 'p50 ms', 'p95 ms', 'p99 ms', 'requests', 'errors', 'expected'];
  const rows = results.map((x) => [
    x.target,
    fmt(x.rps),
    fmt(x.p50),
    fmt(x.p95),
    fmt(x.p99),
    String(x.requests),
    String(x.errors),
    String(x.expected),
  ]);
  log(table(head, rows));
  for (const x of results) for (const s of x.samples.slice(0, 5)) log(`  error (${x.target}): ${s}`);

  log('');
  log('per operation (requests, p95 ms, errors):');
  log(
    table(
      ['operation', 'weight', ...targets.flatMap((t) => [`${t.name} n`, 'p95', 'err'])],
      OPERATIONS.map((op) => [
        op.name,
        String(op.weight),
        ...results.flatMap((x) => {
          const s = x.perOperation[op.name];
          return s
            ? [
                String(s.requests),
                fmt(s.latencies[Math.min(s.latencies.length - 1, Math.ceil(0.95 * s.latencies.length) - 1)]),
                String(s.errors),
              ]
            : ['0', '-', '0'];
        }),
      ]),
    ),
  );

  log('');
  log('CPU ms per request over the measured window (from /proc; Redis is shared with other work on the machine):');
  const groups = [...new Set(cpu.flatMap((c) => Object.keys(c)))];
  log(
    table(
      ['process', ...targets.map((t) => t.name)],
      groups.map((g) => [g, ...cpu.map((c, i) => (c[g] === undefined ? '-' : fmt(c[g] / results[i].requests, 2)))]),
    ),
  );
  const totalCpu = cpu.map((c, i) =>
    Object.entries(c)
      .filter(([g]) => g !== 'redis (shared)' && g !== 'load generator' && g !== (i === 0 ? 'hive-gateway' : 'gateway'))
      .reduce((n, [, v]) => n + v, 0),
  );
  log(
    `machine CPU per request (its gateway + subgraphs + PostgreSQL): ${targets.map((t, i) => `${t.name} ${fmt(totalCpu[i] / results[i].requests, 2)} ms`).join(', ')}`,
  );

  log(
    `subgraph requests per gateway request: ${targets
      .map(
        (t, i) =>
          `${t.name} ${SUBGRAPHS.map((n) => `${n} ${fmt(fetches[i][n] / results[i].requests, 2)}`).join(', ')} (total ${fmt(
            SUBGRAPHS.reduce((sum, n) => sum + fetches[i][n], 0) / results[i].requests,
            2,
          )})`,
      )
      .join('; ')}`,
  );
  log(
    `RSS after the mix (MB): ${Object.entries(rss)
      .map(([k, v]) => `${k} ${fmt(v, 0)}`)
      .join(', ')}`,
  );

  // Statements per request, each operation alone, sequentially, at two page sizes where it pages.
  log('');
  log('SQL statements per request (each operation alone through our gateway, 20 sequential requests):');
  const stRows: string[][] = [];
  let constant = true;
  const perOp: Record<string, unknown> = {};
  for (const op of OPERATIONS) {
    const sizes = op.pages ?? [undefined];
    const figures: number[] = [];
    for (const first of sizes) {
      const n = 20;
      const rr = rng(7);
      const before = await statementCounts(stack);
      for (let k = 0; k < n; k++) {
        const req = op.make(world, rr, first);
        const res = await gql(stack.gatewayUrl, req.query, req.variables, req.token);
        if (res.errors && !req.expected?.includes(res.errors[0].extensions?.code ?? ''))
          throw new Error(`${op.name}: ${JSON.stringify(res.errors)}`);
        if (!res.errors) req.after?.(res.data);
      }
      const after = await statementCounts(stack);
      figures.push(SUBGRAPHS.reduce((sum, s) => sum + after[s] - before[s], 0) / n);
      perOp[`${op.name}${first ? ` first:${first}` : ''}`] = Object.fromEntries(
        SUBGRAPHS.map((s) => [s, (after[s] - before[s]) / n]),
      );
    }
    // The relays' polling is not counted; a fraction can come from one request's retry.
    const same = figures.length < 2 || Math.abs(figures[0] - figures[1]) < 0.5;
    if (!same) constant = false;
    stRows.push([
      op.name,
      op.pages ? `${op.pages[0]} / ${op.pages[1]}` : '-',
      figures.map((f) => fmt(f, 2)).join(' / '),
      op.pages ? mark(same) : '',
    ]);
  }
  log(table(['operation', 'page sizes', 'statements', 'constant'], stRows));

  // Subgraph fetches per request of each operation alone, through each gateway (query planning and
  // entity batching differ: the same operation can cost a different number of subgraph requests).
  log('');
  log('subgraph requests per request (each operation alone, 10 sequential requests through each gateway):');
  const fetchRows: string[][] = [];
  const fetchesPerOp: Record<string, Record<string, Record<string, number>>> = {};
  for (const op of OPERATIONS) {
    const row = [op.name];
    for (const t of targets) {
      const n = 10;
      const rr = rng(11);
      const before = await subgraphRequests();
      for (let k = 0; k < n; k++) {
        const req = op.make(world, rr);
        const res = await gql(t.url, req.query, req.variables, req.token);
        if (res.errors && !req.expected?.includes(res.errors[0].extensions?.code ?? ''))
          throw new Error(`${op.name} through ${t.name}: ${JSON.stringify(res.errors)}`);
        if (!res.errors) req.after?.(res.data);
      }
      const after = await subgraphRequests();
      const per = Object.fromEntries(SUBGRAPHS.map((s) => [s, (after[s] - before[s]) / n]));
      (fetchesPerOp[op.name] ??= {})[t.name] = per;
      row.push(
        `${fmt(
          SUBGRAPHS.reduce((sum, s) => sum + per[s], 0),
          1,
        )} (${SUBGRAPHS.filter((s) => per[s] > 0)
          .map((s) => `${s} ${fmt(per[s], 1)}`)
          .join(', ')})`,
      );
    }
    fetchRows.push(row);
  }
  log(table(['operation', ...targets.map((t) => t.name)], fetchRows));

  // Top-10 statements under the mix.
  const top = samplesDelta(samplesBefore, samplesAfter);
  const mixRequests = results.reduce((n, x) => n + x.requests, 0);
  const statementsUnderMix = top.reduce((n, s) => n + s.count, 0);
  log('');
  log(
    `top 10 of ${top.length} distinct statements under the mix (${statementsUnderMix} statements, ${fmt(statementsUnderMix / mixRequests, 2)} per gateway request):`,
  );
  for (const [i, s] of top.slice(0, 10).entries())
    log(`  ${String(i + 1).padStart(2)}. ${s.subgraph.padEnd(12)} ${String(s.count).padStart(7)}  ${s.sql.slice(0, 150)}`);
  let seqScans: string[] | undefined;
  if (EXPLAIN) {
    const explained = await explainTop(stack, top.slice(0, EXPLAIN_TOP), mixRequests);
    writeFileSync(path.join(resultsDir, 'explain.md'), explained.markdown);
    seqScans = explained.seqScans;
    log(`EXPLAIN (ANALYZE, BUFFERS) of each: bench/results/explain.md`);
    log(
      seqScans.length
        ? seqScans.map((s) => `  ✘ ${s}`).join('\n')
        : '  ✔ no Seq Scan on a growing table that an index could not serve',
    );
  }

  const [ours, hive] = results;
  log('');
  log(`targets (load average after the mix: ${loadAfterMix}):`);
  log(
    `  ${mark(ours.rps >= 2 * BASELINE_MIXED_RPS)} mixed rps ≥ 2× baseline (${BASELINE_MIXED_RPS}): ${fmt(ours.rps)} rps = ${fmt(ours.rps / BASELINE_MIXED_RPS, 2)}×`,
  );
  log(`  ${mark(ours.p95 <= P95_TARGET_MS)} p95 ≤ ${P95_TARGET_MS} ms: ${fmt(ours.p95)} ms`);
  log(`  ${mark(ours.rps >= hive.rps)} ours ≥ 1.0× Hive Gateway: ${fmt(ours.rps / hive.rps, 2)}×`);
  log(`  ${mark(ours.errors === 0 && hive.errors === 0)} no unexpected errors: ours ${ours.errors}, Hive ${hive.errors}`);
  log(`  ${mark(constant)} statements per request constant in page size`);
  if (seqScans) log(`  ${mark(seqScans.length === 0)} no unindexed Seq Scan on a growing table in the top ${EXPLAIN_TOP}`);

  const summary = {
    date: new Date().toISOString(),
    machine: { cores: os.cpus().length, cpu: os.cpus()[0]?.model, node: process.version, loadAverageAfterMix: loadAfterMix },
    settings: { seconds: SECONDS, connections: CONNECTIONS, rounds: ROUNDS, signed: SIGNED, users: world.users.length },
    baselineRps: BASELINE_MIXED_RPS,
    results: results.map(({ latencies: _l, perOperation, ...x }) => ({
      ...x,
      perOperation: Object.fromEntries(
        Object.entries(perOperation).map(([k, s]) => [
          k,
          {
            requests: s.requests,
            errors: s.errors,
            expected: s.expected,
            p95: s.latencies[Math.ceil(0.95 * s.latencies.length) - 1],
          },
        ]),
      ),
    })),
    rssMbAfterMix: rss,
    subgraphRequestsPerOperation: fetchesPerOp,
    subgraphRequestsPerRequest: fetches.map((f, i) =>
      Object.fromEntries(Object.entries(f).map(([k, v]) => [k, v / results[i].requests])),
    ),
    cpuMsPerRequest: cpu.map((c, i) => Object.fromEntries(Object.entries(c).map(([k, v]) => [k, v / results[i].requests]))),
    statementsPerRequest: perOp,
    topStatements: top.slice(0, 10).map(({ sample: _s, ...s }) => s),
    seqScans,
  };
  writeFileSync(path.join(resultsDir, 'mixed-latest.json'), JSON.stringify(summary, null, 2));
  log('\nfull results: bench/results/mixed-latest.json');
  void (world satisfies World);
}

function printProfiles() {
  if (!existsSync(profileDir)) return;
  const measured = windows.reduce((n, [a, b]) => n + (b - a), 0) / 1e6;
  log('');
  log(
    `V8 CPU profiles: bench/results/prof/<service>/ (main threads; self time inside the ${fmt(measured, 0)} s measured, both targets' rounds)`,
  );
  for (const service of readdirSync(profileDir).sort()) {
    const dir = path.join(profileDir, service);
    // CPU.<date>.<time>.<pid>.<thread>.<seq>.cpuprofile: thread 0 is the main thread (1 = the module loader's).
    for (const f of readdirSync(dir).filter((x) => /\.\d+\.0\.\d+\.cpuprofile$/.test(x))) {
      const { total, rows } = topFunctions(path.join(dir, f));
      log('');
      log(`${service} (${f}): ${fmt(total, 0)} ms of CPU sampled in the measured windows; top self time:`);
      for (const row of rows) log(`  ${fmt(row.ms, 0).padStart(7)} ms ${fmt(row.share * 100, 1).padStart(5)} %  ${row.name}`);
    }
  }
}

function table(head: string[], rows: string[][]): string {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => (row[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (i === 0 ? (c ?? '').padEnd(widths[i]) : (c ?? '').padStart(widths[i]))).join('  ');
  return [line(head), ...rows.map(line)].join('\n');
}

try {
  await main();
} catch (error) {
  process.stderr.write(`bench failed: ${(error as Error).stack ?? error}\n`);
  process.exitCode = 1;
}
