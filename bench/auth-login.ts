// npm run bench:auth — logins against the bcrypt bound, and `me` latency while a login storm runs.
//   bound = PASSWORD_HASH_CONCURRENCY × hashes/s of one core at BCRYPT_COST, measured in this run
//           (one hash timed before and after the storms, the mean of the two)
//           (a login is one bcrypt compare = one hash; auth runs at most that many at once).
//   (a) `me` alone: p50/p95 (baseline)
//   (b) a login storm alone: 4 × cores clients, more than the cores can serve; a refused client
//       (SERVICE_UNAVAILABLE) waits the retryAfterSeconds it was given (BENCH_LOGIN_RETRY=immediate:
//       it retries at once, a misbehaving client)
//   (c) the same storm and `me` together: login throughput vs the bound, `me` p95 under the storm
// Then the queue-wait p95 and refusals from auth's /metrics, auth's CPU per login, each
// process's RSS, and the targets with ✔/✘. auth and the gateway run as child processes on
// loopback over a fresh bench_auth_login database. Env: BENCH_SECONDS (10 per phase),
// BCRYPT_COST (12), PASSWORD_HASH_CONCURRENCY (cores − 1, at least 1), PASSWORD_HASH_QUEUE_WAIT_MS (2000), BENCH_LOGIN_CLIENTS
// (4 × cores), BENCH_LOGIN_RETRY (hint), BENCH_ME_CONNECTIONS (4), BENCH_PORT_BASE (4200),
// DATABASE_SERVER_URL, REDIS_URL.
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import bcrypt from 'bcrypt';
import {
  cpuMsOf,
  fmtMs,
  LOGIN,
  load,
  loadAverage,
  percentile,
  postJson,
  root,
  rssReport,
  startAuthStack,
  table,
  targetsReport,
  type AuthStack,
  type LoadResult,
} from './harness.js';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const COST = Number(process.env.BCRYPT_COST ?? 12);
const CORES = os.availableParallelism();
const CONCURRENCY = Number(process.env.PASSWORD_HASH_CONCURRENCY ?? Math.max(1, CORES - 1));
const LOGIN_CLIENTS = Number(process.env.BENCH_LOGIN_CLIENTS ?? CORES * 4);
const RETRY = process.env.BENCH_LOGIN_RETRY === 'immediate' ? 'immediate' : 'hint';
const ME_CONNECTIONS = Number(process.env.BENCH_ME_CONNECTIONS ?? 4);
const BASE = Number(process.env.BENCH_PORT_BASE ?? 4200);
const WAIT_LIMIT_MS = Number(process.env.PASSWORD_HASH_QUEUE_WAIT_MS ?? 2000);
const METRICS_TOKEN = randomBytes(16).toString('hex');
const log = (line: string) => process.stdout.write(`${line}\n`);

interface StormResult {
  ok: number;
  refused: number;
  failed: number;
  seconds: number;
  /** Successful logins per second. */
  rps: number;
  p50: number;
  p95: number;
}

/**
 * `clients` clients each logging in back to back for `seconds` (a refused one waits its retry
 * hint first, unless RETRY is `immediate`). Latencies are of successful logins.
 */
async function storm(url: string, body: string, clients: number, seconds: number): Promise<StormResult> {
  const started = performance.now();
  const end = started + seconds * 1000;
  const latencies: number[] = [];
  let refused = 0;
  let failed = 0;
  const client = async () => {
    while (performance.now() < end) {
      const t = performance.now();
      try {
        const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
        const answer = (await res.json()) as { data?: { login?: unknown }; errors?: { extensions?: Record<string, unknown> }[] };
        if (answer.data?.login) {
          latencies.push(performance.now() - t);
          continue;
        }
        const error = answer.errors?.[0]?.extensions;
        if (error?.code !== 'SERVICE_UNAVAILABLE') {
          failed++;
          continue;
        }
        refused++;
        if (RETRY === 'hint') {
          const wait = Math.min(Number(error.retryAfterSeconds ?? 1) * 1000, end - performance.now());
          if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
        }
      } catch {
        failed++;
      }
    }
  };
  await Promise.all(Array.from({ length: clients }, client));
  const elapsed = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  return {
    ok: latencies.length,
    refused,
    failed,
    seconds: elapsed,
    rps: latencies.length / elapsed,
    p50: percentile(latencies, 50),
    p95: percentile(latencies, 95),
  };
}

/** auth's password_hash_* series now. */
async function gateSeries(authUrl: string) {
  const text = await (
    await fetch(new URL('/metrics', authUrl), { headers: { authorization: `Bearer ${METRICS_TOKEN}` } })
  ).text();
  const buckets = new Map<number, number>();
  let refusals = 0;
  for (const line of text.split('\n')) {
    const value = Number(line.slice(line.lastIndexOf(' ') + 1));
    if (line.startsWith('password_hash_queue_wait_seconds_bucket{')) {
      const le = /le="([^"]+)"/.exec(line)?.[1];
      if (le) buckets.set(le === '+Inf' ? Infinity : Number(le), value);
    } else if (line.startsWith('password_hash_refusals_total{')) refusals += value;
  }
  return { buckets, refusals };
}

/** Upper bound (s) of the histogram bucket holding the p-th percentile of what was observed between two scrapes. */
function bucketPercentile(before: Map<number, number>, after: Map<number, number>, p: number): number {
  const bounds = [...after.keys()].sort((a, b) => a - b);
  const total = (after.get(Infinity) ?? 0) - (before.get(Infinity) ?? 0);
  if (total <= 0) return NaN;
  for (const le of bounds) if ((after.get(le) ?? 0) - (before.get(le) ?? 0) >= (p / 100) * total) return le;
  return Infinity;
}

/** One bcrypt hash on one core, timed here: median of 5 (ms). */
async function oneHashMs(): Promise<number> {
  const samples: number[] = [];
  for (let i = 0; i < 5; i++) {
    const t = performance.now();
    await bcrypt.hash('bench password 1', COST);
    samples.push(performance.now() - t);
  }
  samples.sort((a, b) => a - b);
  return samples[2];
}

async function main() {
  log(
    `bench:auth: ${CORES} cores, bcrypt cost ${COST}, hash concurrency ${CONCURRENCY}, ${LOGIN_CLIENTS} login clients ` +
      `(retry: ${RETRY}), ${ME_CONNECTIONS} me connections, ${SECONDS}s per phase, Node ${process.version}, load average ${loadAverage()}`,
  );

  const hashBefore = await oneHashMs();

  const stack = await startAuthStack({
    base: BASE,
    database: 'bench_auth_login', // not bench_auth: the directory bench drops that one
    bcryptCost: COST,
    commonEnv: { UV_THREADPOOL_SIZE: String(Math.max(4, CONCURRENCY + 1)) },
    authEnv: {
      AUTH_RATE_LIMIT_IP: '1000000000',
      AUTH_RATE_LIMIT_ACCOUNT: '1000000000',
      PASSWORD_HASH_CONCURRENCY: String(CONCURRENCY),
      PASSWORD_HASH_QUEUE_WAIT_MS: String(WAIT_LIMIT_MS),
      METRICS_TOKEN,
    },
  });
  process.on('SIGINT', () => void stack.stop().then(() => process.exit(130)));
  try {
    await measure(stack, hashBefore);
  } finally {
    await stack.stop();
  }
}

async function measure(stack: AuthStack, hashBefore: number) {
  const { gatewayUrl, email, password } = stack;
  const auth = stack.services.find((s) => s.name === 'auth')!;
  const loginBody = JSON.stringify({ query: LOGIN, variables: { e: email, p: password } });
  const first = await postJson(gatewayUrl, loginBody);
  if (!first.data?.login) throw new Error(`login failed: ${JSON.stringify(first.errors)}`);
  const token = first.data.login.accessToken as string;
  const meBody = JSON.stringify({ query: '{ me { id name email } }' });
  const me = (target: string): Promise<LoadResult> =>
    load(target, gatewayUrl, meBody, { seconds: SECONDS, connections: ME_CONNECTIONS, token, noErrors: true });

  const meAlone = await me(`me alone (${ME_CONNECTIONS} conns)`);

  const gateBefore = await gateSeries(stack.authUrl);
  const cpuBefore = cpuMsOf(auth.child);
  const loginAlone = await storm(gatewayUrl, loginBody, LOGIN_CLIENTS, SECONDS);
  const cpuAfter = cpuMsOf(auth.child);
  const [loginBusy, meBusy] = await Promise.all([
    storm(gatewayUrl, loginBody, LOGIN_CLIENTS, SECONDS),
    me(`me during the login storm (${ME_CONNECTIONS} conns)`),
  ]);
  const gateAfter = await gateSeries(stack.authUrl);
  const rss = rssReport(stack.services);
  // The bound from one hash timed before and after the storms (the machine's load drifts meanwhile).
  const hashAfter = await oneHashMs();
  const hashMs = (hashBefore + hashAfter) / 2;
  const bound = (CONCURRENCY * 1000) / hashMs;

  const waitP95 = bucketPercentile(gateBefore.buckets, gateAfter.buckets, 95);
  const refusals = gateAfter.refusals - gateBefore.refusals;
  const authCpuPerLogin =
    cpuBefore !== undefined && cpuAfter !== undefined && loginAlone.ok ? (cpuAfter - cpuBefore) / loginAlone.ok : NaN;
  const share = (rps: number) => (100 * rps) / bound;

  log(
    `\nbcrypt cost ${COST}: one hash on one core ${hashBefore.toFixed(1)} ms before, ${hashAfter.toFixed(1)} ms after the storms (medians of 5) → ` +
      `bound ${bound.toFixed(2)} logins/s at concurrency ${CONCURRENCY}`,
  );
  log(table([meAlone, meBusy].map(({ latencies: _l, ...r }) => r)));
  for (const [name, r] of [
    ['login storm alone', loginAlone],
    ['login storm with me', loginBusy],
  ] as const) {
    log(
      `${name}: ${r.ok} logins in ${r.seconds.toFixed(1)} s = ${r.rps.toFixed(2)}/s (${share(r.rps).toFixed(0)} % of the bound), ` +
        `p50 ${fmtMs(r.p50)}, p95 ${fmtMs(r.p95)}; ${r.refused} refused (SERVICE_UNAVAILABLE), ${r.failed} failed otherwise`,
    );
  }
  log(
    `password hash gate (auth /metrics, both storms): queue wait p95 ≤ ${Number.isFinite(waitP95) ? `${waitP95} s` : '-'} (histogram bucket), ${refusals} refusals`,
  );
  log(`auth CPU per login (storm alone, /proc): ${authCpuPerLogin.toFixed(0)} ms (one hash ≈ ${hashMs.toFixed(0)} ms)`);
  log(`RSS at the end:\n${rss}`);
  log(`load average now: ${loadAverage()}`);
  const targets = [
    {
      name: 'login throughput, storm alone',
      value: `${share(loginAlone.rps).toFixed(0)} % of the bound (${loginAlone.rps.toFixed(2)}/s)`,
      goal: '≥ 80 %',
      ok: share(loginAlone.rps) >= 80,
    },
    {
      name: 'login throughput, storm with me',
      value: `${share(loginBusy.rps).toFixed(0)} % of the bound (${loginBusy.rps.toFixed(2)}/s)`,
      goal: '≥ 80 %',
      ok: share(loginBusy.rps) >= 80,
    },
    { name: 'me p95 under the login storm', value: fmtMs(meBusy.p95), goal: '< 50 ms', ok: meBusy.p95 < 50 },
    {
      name: 'queue wait p95 (both storms)',
      value: Number.isFinite(waitP95) ? `≤ ${waitP95} s` : '-',
      goal: `≤ ${WAIT_LIMIT_MS / 1000} s (PASSWORD_HASH_QUEUE_WAIT_MS)`,
      ok: waitP95 <= WAIT_LIMIT_MS / 1000,
    },
    {
      name: 'login answers other than success or SERVICE_UNAVAILABLE',
      value: String(loginAlone.failed + loginBusy.failed),
      goal: '= 0',
      ok: loginAlone.failed + loginBusy.failed === 0,
    },
    {
      name: 'me errors under the storm',
      value: String(meBusy.errors + meBusy.non2xx),
      goal: '= 0',
      ok: meBusy.errors + meBusy.non2xx === 0,
    },
  ];
  log(`\n${targetsReport(targets)}`);
  writeFileSync(
    path.join(root, 'bench', 'results', 'auth-login-latest.json'),
    JSON.stringify(
      {
        cores: CORES,
        cost: COST,
        concurrency: CONCURRENCY,
        loginClients: LOGIN_CLIENTS,
        retry: RETRY,
        hashMs: { before: hashBefore, after: hashAfter },
        bound,
        meAlone: { ...meAlone, latencies: undefined },
        meBusy: { ...meBusy, latencies: undefined },
        loginAlone,
        loginBusy,
        queueWaitP95Seconds: waitP95,
        refusals,
        authCpuPerLoginMs: authCpuPerLogin,
        targets,
        loadAverage: loadAverage(),
        at: new Date().toISOString(),
      },
      null,
      2,
    ),
  );
}

await main();
