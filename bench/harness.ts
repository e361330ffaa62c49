// Benchmark harness: starts services as child processes (so the load generator does not share
// an event loop with what it measures), drives them with autocannon on loopback for a bounded
// time, and reads counters from /metrics.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { createWriteStream, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import bcrypt from 'bcrypt';
import pg from 'pg';
import { dropDatabase, ensureDatabase, withDatabase } from '@hc/db';
import { signGatewayRequest } from '@hc/graphql';
import { composeFromCode, createTestKeys } from '@hc/testing';
import { subgraphs } from '../scripts/subgraphs.ts';
import { NODE_FLAGS } from '../scripts/node-flags.ts';

export const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));

/** A loopback port nobody listens on right now (benchmarks may run side by side). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

export interface Service {
  name: string;
  url: string;
  child: ChildProcess;
  stop: () => Promise<void>;
}

/**
 * The SUBGRAPH_SHARED_SECRET every process of one bench run gets (subgraphs answer only what the
 * gateway signed, as in production). A bench passes `SUBGRAPH_SHARED_SECRET: ''` to run unsigned.
 */
export const BENCH_SHARED_SECRET = randomBytes(32).toString('hex');

/**
 * The METRICS_TOKEN every service of a bench run gets (in production /metrics answers only with
 * it); `counter` sends it. A bench may pass its own METRICS_TOKEN in a service's env instead.
 */
export const BENCH_METRICS_TOKEN = randomBytes(16).toString('hex');

/** Headers that make a direct subgraph request look like the gateway's (benches measuring a subgraph alone). */
export function gatewaySigned(url: string, body: string): Record<string, string> {
  const target = new URL(url);
  return signGatewayRequest(BENCH_SHARED_SECRET, { method: 'POST', path: target.pathname + target.search, body });
}

/** Spawns `args` with this Node (24) and waits for `healthUrl` to answer 200. */
export async function startService(
  name: string,
  args: string[],
  env: Record<string, string>,
  healthUrl: string,
  url: string,
): Promise<Service> {
  const childEnv: Record<string, string | undefined> = {
    ...process.env,
    SUBGRAPH_SHARED_SECRET: BENCH_SHARED_SECRET,
    METRICS_TOKEN: BENCH_METRICS_TOKEN,
    ...env,
  };
  if (!childEnv.SUBGRAPH_SHARED_SECRET) delete childEnv.SUBGRAPH_SHARED_SECRET;
  // With the V8 flags `npm start` and the image use, so RSS and CPU figures match production.
  const child = spawn(process.execPath, [...NODE_FLAGS, ...args], {
    cwd: root,
    env: childEnv,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  // Each service's output goes to bench/results/logs/<name>-<bench pid>.log (and its tail into errors).
  const logDir = path.join(root, 'bench', 'results', 'logs');
  mkdirSync(logDir, { recursive: true });
  const file = createWriteStream(path.join(logDir, `${name}-${process.pid}.log`));
  let output = '';
  const keep = (chunk: Buffer) => {
    file.write(chunk);
    output = (output + chunk.toString()).slice(-4000);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const deadline = Date.now() + 90_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`${name} exited with ${child.exitCode}:\n${output}`);
    try {
      const res = await fetch(healthUrl, { signal: AbortSignal.timeout(1_000) });
      if (res.ok) break;
    } catch {
      /* not up yet */
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  if (Date.now() >= deadline) {
    child.kill('SIGKILL');
    throw new Error(`${name} did not become healthy at ${healthUrl}:\n${output}`);
  }
  return {
    name,
    url,
    child,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
        child.once('exit', () => {
          clearTimeout(timer);
          resolve();
        });
        child.kill('SIGTERM');
      }),
  };
}

export interface LoadResult {
  target: string;
  requests: number;
  rps: number;
  p50: number;
  p95: number;
  p99: number;
  errors: number;
  non2xx: number;
  seconds: number;
  /** Every response's latency (ms), sorted; kept for merging rounds, not printed. */
  latencies?: number[];
}

/** Nearest-rank percentile of an ascending list (NaN when empty). */
export const percentile = (sorted: number[], p: number) =>
  sorted.length ? sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] : NaN;

/** Milliseconds for a printed figure. */
export const fmtMs = (ms: number) => `${ms.toFixed(1)} ms`;

/**
 * POSTs the same GraphQL body for `seconds` with `connections` keep-alive connections (or at a
 * fixed `rate` per second). Percentiles come from every response's own latency (autocannon's
 * summary has no p95).
 */
export async function load(
  target: string,
  url: string,
  body: string,
  options: {
    seconds: number;
    connections: number;
    rate?: number;
    expectBody?: string;
    signed?: boolean;
    /** Sent as the bearer token (signed-in operations). */
    token?: string;
    /** Count an answer with GraphQL `errors` (HTTP 200) as an error, not as throughput. */
    noErrors?: boolean;
  },
): Promise<LoadResult> {
  const latencies: number[] = [];
  const instance = autocannon({
    url,
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(options.token ? { authorization: `Bearer ${options.token}` } : {}) },
    body,
    // Straight to a subgraph: each request signed as the gateway would (a signature lives 30 s).
    ...(options.signed
      ? { requests: [{ setupRequest: (req) => ({ ...req, headers: { ...req.headers, ...gatewaySigned(url, body) } }) }] }
      : {}),
    duration: options.seconds,
    connections: options.connections,
    ...(options.rate ? { overallRate: options.rate } : {}),
    // Every answer must be the reference answer: an error inside a 200 counts as an error (a
    // mismatch). A function, because autocannon refuses `expectBody` together with `requests`.
    ...(options.expectBody || options.noErrors
      ? {
          verifyBody: (text: string) =>
            (!options.expectBody || text === options.expectBody) && (!options.noErrors || !text.includes('"errors"')),
        }
      : {}),
  });
  instance.on('response', (_client: unknown, _status: number, _bytes: number, responseTime: number) => {
    latencies.push(responseTime);
  });
  const result = await instance;
  latencies.sort((a, b) => a - b);
  return {
    target,
    requests: result.requests.total,
    rps: result.requests.total / options.seconds,
    p50: percentile(latencies, 50),
    p95: percentile(latencies, 95),
    p99: percentile(latencies, 99),
    errors: result.errors + result.timeouts + (result.mismatches ?? 0),
    non2xx: result.non2xx,
    seconds: options.seconds,
    latencies,
  };
}

/** One result from several rounds against the same target. */
export function merge(parts: LoadResult[]): LoadResult {
  const latencies = parts.flatMap((p) => p.latencies ?? []).sort((a, b) => a - b);
  const requests = parts.reduce((n, p) => n + p.requests, 0);
  const seconds = parts.reduce((n, p) => n + p.seconds, 0);
  return {
    target: parts[0].target,
    requests,
    rps: requests / seconds,
    p50: percentile(latencies, 50),
    p95: percentile(latencies, 95),
    p99: percentile(latencies, 99),
    errors: parts.reduce((n, p) => n + p.errors, 0),
    non2xx: parts.reduce((n, p) => n + p.non2xx, 0),
    seconds,
  };
}

/**
 * Loads several targets in interleaved rounds (A B C, A B C, ...) so that a change in background
 * load during the run (other work on a shared machine) hits every target alike.
 */
export async function interleaved(
  targets: { name: string; url: string; body: string; expectBody?: string; signed?: boolean }[],
  options: { seconds: number; connections: number; rounds: number },
): Promise<LoadResult[]> {
  const parts = targets.map(() => [] as LoadResult[]);
  const slice = Math.max(1, Math.round(options.seconds / options.rounds));
  for (let round = 0; round < options.rounds; round++) {
    for (const [i, t] of targets.entries()) {
      parts[i].push(
        await load(t.name, t.url, t.body, {
          seconds: slice,
          connections: options.connections,
          expectBody: t.expectBody,
          signed: t.signed,
        }),
      );
    }
  }
  return parts.map(merge);
}

/** Sum of a counter on a /metrics page. */
export async function counter(metricsUrl: string, name: string): Promise<number> {
  const res = await fetch(metricsUrl, { headers: { authorization: `Bearer ${BENCH_METRICS_TOKEN}` } });
  // A refused /metrics must not read as zero.
  if (!res.ok) throw new Error(`${metricsUrl} answered ${res.status}`);
  const text = await res.text();
  return text
    .split('\n')
    .filter((l) => l.startsWith(`${name}{`) || l.startsWith(`${name} `))
    .reduce((sum, l) => sum + Number(l.slice(l.lastIndexOf(' ') + 1)), 0);
}

export async function postJson(
  url: string,
  body: string,
  headers: Record<string, string> = {},
): Promise<{ data?: any; errors?: { message: string }[] }> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
  return (await res.json()) as { data?: any; errors?: { message: string }[] };
}

const fmt = (n: number, digits = 1) => (Number.isFinite(n) ? n.toFixed(digits) : '-');

/** One line per result, aligned. */
export function table(results: LoadResult[]): string {
  const head = ['target', 'rps', 'p50 ms', 'p95 ms', 'p99 ms', 'requests', 'errors'];
  const rows = results.map((r) => [
    r.target,
    fmt(r.rps),
    fmt(r.p50),
    fmt(r.p95),
    fmt(r.p99),
    String(r.requests),
    String(r.errors + r.non2xx),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  return [line(head), ...rows.map(line)].join('\n');
}

/** Resident memory of a child process in bytes (VmRSS of /proc/<pid>/status), undefined once it exited or off Linux. */
export function rssOf(child: ChildProcess): number | undefined {
  if (!child.pid || child.exitCode !== null) return undefined;
  try {
    const line = readFileSync(`/proc/${child.pid}/status`, 'utf8')
      .split('\n')
      .find((l) => l.startsWith('VmRSS:'));
    const kib = line ? Number(line.split(/\s+/)[1]) : NaN;
    return Number.isFinite(kib) ? kib * 1024 : undefined;
  } catch {
    return undefined;
  }
}

/** CPU time (user + system, ms) a child process used so far (/proc/<pid>/stat), undefined off Linux. */
export function cpuMsOf(child: ChildProcess): number | undefined {
  if (!child.pid) return undefined;
  try {
    const stat = readFileSync(`/proc/${child.pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // utime and stime are fields 14 and 15 of stat (11 and 12 after the command name), in clock ticks (100/s).
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
  } catch {
    return undefined;
  }
}

/** One line per service: its RSS now (print at the end of a bench, before stopping the services). */
export function rssReport(services: Pick<Service, 'name' | 'child'>[]): string {
  return services
    .map((s) => {
      const bytes = rssOf(s.child);
      return `  ${s.name.padEnd(14)} ${bytes === undefined ? '-' : `${(bytes / 2 ** 20).toFixed(0)} MiB`} RSS (pid ${s.child.pid})`;
    })
    .join('\n');
}

/** RSS of this process, for benches that run every service in-process (one line like rssReport's). */
export function selfRssReport(what: string): string {
  return `  ${what.padEnd(14)} ${(process.memoryUsage().rss / 2 ** 20).toFixed(0)} MiB RSS (pid ${process.pid}, this process)`;
}

export interface Target {
  /** What is measured, e.g. "booking p95". */
  name: string;
  /** The measured figure as printed, e.g. "42.1 ms". */
  value: string;
  /** The target as printed, e.g. "< 50 ms". */
  goal: string;
  ok: boolean;
}

/** The targets block every bench prints last: one ✔/✘ line per target. */
export function targetsReport(targets: Target[]): string {
  const width = Math.max(...targets.map((t) => t.name.length));
  return [
    'targets:',
    ...targets.map((t) => `  ${t.ok ? '✔' : '✘'} ${t.name.padEnd(width)}  ${t.value}  (target ${t.goal})`),
  ].join('\n');
}

/** The 1/5/15-minute load averages, for figures taken on a shared machine. */
export function loadAverage(): string {
  return os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
}

export interface AuthStack {
  gatewayUrl: string;
  /** A verified PATIENT account inserted directly (the benches measure sign-in, not registration). */
  email: string;
  password: string;
  /** auth's own address (its /metrics answers with the METRICS_TOKEN given in authEnv). */
  authUrl: string;
  /** The child processes (auth, gateway), e.g. for their RSS. */
  services: Service[];
  /** Stops the services and drops the database. */
  stop: () => Promise<void>;
}

/**
 * auth and the gateway as child processes on loopback (production settings) over a fresh database
 * named `database`, auth on `base + 1` and the gateway on `base + 10`; the other subgraphs are only
 * composed in by URL. For benches of operations that touch auth alone (login, `me`).
 */
export async function startAuthStack(options: {
  base: number;
  database: string;
  bcryptCost: number;
  authEnv?: Record<string, string>;
  commonEnv?: Record<string, string>;
}): Promise<AuthStack> {
  const { base } = options;
  const SERVER = process.env.DATABASE_SERVER_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
  const url = (p: number, suffix = '/graphql') => `http://127.0.0.1:${p}${suffix}`;
  const keys = createTestKeys();
  const dbUrl = withDatabase(SERVER, options.database);
  await dropDatabase(dbUrl);
  await ensureDatabase(dbUrl);
  const services: Service[] = [];
  const stop = async () => {
    await Promise.all(services.reverse().map((s) => s.stop()));
    await dropDatabase(dbUrl).catch(() => undefined);
  };
  try {
    const common = {
      NODE_ENV: 'production',
      LOG_LEVEL: 'warn',
      HOST: '127.0.0.1',
      REDIS_URL,
      REDIS_PREFIX: `bench:${randomBytes(4).toString('hex')}`,
      JWT_ISSUER: keys.issuer,
      JWT_AUDIENCE: keys.audience,
      AUTH_JWKS_URL: url(base + 1, '/.well-known/jwks.json'),
      INTERNAL_SECRET: randomBytes(24).toString('hex'),
      ...options.commonEnv,
    };
    services.push(
      await startService(
        'auth',
        ['--import', './scripts/register.js', 'subgraphs/auth/src/main.ts'],
        {
          ...common,
          JWT_PRIVATE_KEY_FILE: path.join(keys.dir, 'active.pem'),
          KEYS_DIR: keys.dir,
          DATABASE_URL: dbUrl,
          MIGRATE_ON_START: 'true',
          AUTH_PORT: String(base + 1),
          BCRYPT_COST: String(options.bcryptCost),
          AUTH_OUTBOX_RELAY: 'false',
          ...options.authEnv,
        },
        url(base + 1, '/health'),
        url(base + 1),
      ),
    );
    const email = `bench.${randomUUID().slice(0, 8)}@example.com`;
    const password = 'bench password 1';
    const pool = new pg.Pool({ connectionString: dbUrl });
    await pool.query(
      `insert into users (id, name, email, password_hash, role, is_verified) values ($1, 'Bench', $2, $3, 'PATIENT', true)`,
      [randomUUID(), email, await bcrypt.hash(password, options.bcryptCost)],
    );
    await pool.end();

    const urls = { auth: url(base + 1), doctor: url(base + 2), notification: url(base + 3), pharmacy: url(base + 4) };
    const dir = path.join(root, 'bench', 'results');
    mkdirSync(dir, { recursive: true });
    const supergraphPath = path.join(dir, `supergraph-${options.database}.graphql`);
    writeFileSync(supergraphPath, await composeFromCode(subgraphs, urls));
    services.push(
      await startService(
        'gateway',
        ['--import', './scripts/register.js', 'gateway/src/main.ts'],
        {
          ...common,
          GATEWAY_PORT: String(base + 10),
          SUPERGRAPH_PATH: supergraphPath,
          AUTH_URL: urls.auth,
          DOCTOR_URL: urls.doctor,
          NOTIFICATION_URL: urls.notification,
          PHARMACY_URL: urls.pharmacy,
          // One load generator on one address: the gateway's per-address rate limit would measure itself.
          RATE_LIMIT_ENABLED: 'false',
          RESPONSE_CACHE: 'false',
          CACHE_REDIS_URL: REDIS_URL,
        },
        url(base + 10, '/health'),
        url(base + 10),
      ),
    );
    return { gatewayUrl: url(base + 10), authUrl: url(base + 1), email, password, services: [...services], stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** Signs in through the gateway and returns the access token (throws with the errors otherwise). */
export async function signIn(gatewayUrl: string, email: string, password: string): Promise<string> {
  const res = await postJson(gatewayUrl, JSON.stringify({ query: LOGIN, variables: { e: email, p: password } }));
  if (!res.data?.login) throw new Error(`login failed: ${JSON.stringify(res.errors)}`);
  return res.data.login.accessToken as string;
}

export const LOGIN = `mutation Login($e: String!, $p: String!) { login(email: $e, password: $p) { accessToken } }`;
