// npm run bench:memory — memory and start-up of every service, started the way production starts
// it (NODE_ENV=production, migrated databases, MIGRATE_ON_START=false), in two forms:
//   source    TypeScript through scripts/register.js (SWC), as `npm start` runs them
//   compiled  the image's precompiled .js (deploy/image/build.mjs in a temporary copy; docker/entrypoint.sh)
// For each service: CPU and wall time from spawn to the first 200 on /ready, then RSS (VmRSS and its
// anonymous part from /proc/<pid>/status) and the V8 heap / external memory (prom-client's default
// metrics on /metrics) idle after start, and again after a bounded mix of reads through the gateway
// (`mixedReads`, exported for other benches). Prints a table with ✔/✘ against the targets.
// Env: BENCH_MODES (source,compiled), BENCH_IDLE_SECONDS (5), BENCH_REQUESTS (3000), BENCH_CONCURRENCY (8), BENCH_DOCTORS (60),
// BENCH_NODE_FLAGS (extra node flags for every service, for experiments), DATABASE_SERVER_URL, REDIS_URL.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  realpathSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import bcrypt from 'bcrypt';
import pg from 'pg';
import { dropDatabase, ensureDatabase, withDatabase } from '@hc/db';
import { composeFromCode, createTestKeys } from '@hc/testing';
import { seedDirectory } from '@hc/doctor-subgraph/testing';
import { BENCH_SHARED_SECRET, freePort, postJson, root, LOGIN } from './harness.js';
import { subgraphs } from '../scripts/subgraphs.ts';
import { NODE_FLAGS } from '../scripts/node-flags.ts';

/** Targets of issue 18 (MB = 10^6 bytes, as `ps` and the issue report them). */
export const MEMORY_TARGETS = { subgraphIdle: 150, subgraphLoaded: 250, gatewayIdle: 200 };

const SUBGRAPHS = ['auth', 'doctor', 'notification', 'pharmacy'] as const;
type Name = (typeof SUBGRAPHS)[number] | 'gateway';
const SERVER = process.env.DATABASE_SERVER_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const MODES = (process.env.BENCH_MODES ?? 'source,compiled').split(',').filter(Boolean);
const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 3000);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 8);
const DOCTORS = Number(process.env.BENCH_DOCTORS ?? 60);
const IDLE_SECONDS = Number(process.env.BENCH_IDLE_SECONDS ?? 5);
const EXTRA_FLAGS = (process.env.BENCH_NODE_FLAGS ?? '').split(' ').filter(Boolean);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const MB = 1e6;

// ---------------------------------------------------------------------------------------------
// The load: a bounded mix of reads through the gateway (anonymous and signed-in, every subgraph).

const READS: { name: string; query: string; variables?: (i: number) => Record<string, unknown>; signedIn?: boolean }[] = [
  {
    name: 'directory',
    query: `query Directory($first: Int) { doctors(first: $first) { totalCount nodes { id specialization user { name } workplaces { id name type timeZone } } } }`,
    variables: (i) => ({ first: 5 + (i % 4) * 5 }),
  },
  {
    name: 'directoryPage',
    query: `query DirectoryPage($first: Int, $after: String) { doctors(first: $first, after: $after) { pageInfo { hasNextPage endCursor } nodes { id user { name } } } }`,
    variables: (i) => ({ first: 3 + (i % 7) }),
  },
  { name: 'categories', query: `query Categories { categories { id name } }` },
  {
    name: 'products',
    query: `query Products($first: Int) { products(first: $first) { totalCount nodes { id } } }`,
    variables: (i) => ({ first: 1 + (i % 20) }),
  },
  {
    name: 'pharmacies',
    query: `query Pharmacies($city: String) { pharmacies(first: 10, city: $city) { totalCount nodes { id name } } }`,
    variables: (i) => ({ city: ['Cairo', 'Giza', 'Alexandria', null][i % 4] }),
  },
  {
    name: 'search',
    query: `query Search($q: String!) { search(query: $q, first: 5) { __typename } }`,
    variables: (i) => ({ q: ['paracetamol', 'ibuprofen', 'vitamin c', 'amoxicilin', 'insulin'][i % 5] }),
  },
  { name: 'me', query: `query Me { me { id name email role } }`, signedIn: true },
  {
    name: 'myAppointments',
    query: `query MyAppointments { myAppointments(first: 10) { totalCount nodes { id } } }`,
    signedIn: true,
  },
  {
    name: 'notificationHistory',
    query: `query History { notificationHistory(first: 10) { totalCount nodes { id } } }`,
    signedIn: true,
  },
  { name: 'myOrders', query: `query MyOrders { myOrders(first: 10) { totalCount nodes { id } } }`, signedIn: true },
  { name: 'myPrescriptions', query: `query MyPrescriptions { myPrescriptions(first: 10) { totalCount } }`, signedIn: true },
];

export interface MixedReadsResult {
  requests: number;
  /** Transport failures, non-200 answers and answers carrying GraphQL `errors`. */
  errors: number;
  seconds: number;
  firstError?: string;
}

/**
 * `requests` reads through `gatewayUrl`, cycling over a mix that touches every subgraph (the
 * directory with its user names, pharmacy catalogue and search, and — with `token` — the caller's
 * own data in auth, doctor, notification and pharmacy), `concurrency` at a time. Bounded by count.
 */
export async function mixedReads(
  gatewayUrl: string,
  options: { requests: number; concurrency: number; token?: string },
): Promise<MixedReadsResult> {
  const reads = READS.filter((r) => !r.signedIn || options.token);
  let next = 0;
  let errors = 0;
  let firstError: string | undefined;
  const started = performance.now();
  const worker = async () => {
    for (let i = next++; i < options.requests; i = next++) {
      const read = reads[i % reads.length];
      const headers: Record<string, string> = read.signedIn ? { authorization: `Bearer ${options.token}` } : {};
      try {
        const res = await postJson(
          gatewayUrl,
          JSON.stringify({ query: read.query, variables: read.variables?.(i) ?? {}, operationName: undefined }),
          headers,
        );
        if (res.errors?.length) {
          errors++;
          firstError ??= `${read.name}: ${JSON.stringify(res.errors).slice(0, 300)}`;
        }
      } catch (error) {
        errors++;
        firstError ??= `${read.name}: ${(error as Error).message}`;
      }
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, worker));
  return { requests: options.requests, errors, seconds: (performance.now() - started) / 1000, firstError };
}

// ---------------------------------------------------------------------------------------------
// Process measurements.

export interface ProcessMemory {
  rss: number;
  rssAnon: number;
  hwm: number;
}

/** RSS, its anonymous part (heap, not file-backed code) and the high-water mark, in bytes. */
export function procMemory(pid: number): ProcessMemory {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN) * 1024;
  return { rss: kb('VmRSS'), rssAnon: kb('RssAnon'), hwm: kb('VmHWM') };
}

/** CPU time (user + system, ms) the process has used so far: not inflated by a busy machine as wall time is. */
export function procCpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
}

/** V8 heap used / total and external memory from prom-client's default metrics. */
async function v8Memory(baseUrl: string, token: string): Promise<{ heapUsed: number; heapTotal: number; external: number }> {
  const text = await (await fetch(`${baseUrl}/metrics`, { headers: { authorization: `Bearer ${token}` } })).text();
  const value = (name: string) => {
    const line = text.split('\n').find((l) => l.startsWith(`${name}{`) || l.startsWith(`${name} `));
    return line ? Number(line.slice(line.lastIndexOf(' ') + 1)) : NaN;
  };
  return {
    heapUsed: value('nodejs_heap_size_used_bytes'),
    heapTotal: value('nodejs_heap_size_total_bytes'),
    external: value('nodejs_external_memory_bytes'),
  };
}

// ---------------------------------------------------------------------------------------------
// The compiled form: a copy of the sources compiled in place, as the image does.

function compiledTree(work: string): string {
  const tree = path.join(work, 'app');
  const skip = /(^|\/)(node_modules|\.turbo|coverage|\.keys|\.mail|\.data|test|\.test-results|results)$/;
  for (const part of [
    'package.json',
    'tsconfig.json',
    'tsconfig.base.json',
    'gateway',
    'shared',
    'subgraphs',
    'scripts',
    'deploy/image',
  ]) {
    cpSync(path.join(root, part), path.join(tree, part), { recursive: true, filter: (src) => !skip.test(src) });
  }
  mkdirSync(path.join(tree, 'node_modules', '@hc'), { recursive: true });
  for (const entry of readdirSync(path.join(root, 'node_modules'))) {
    if (entry === '@hc' || entry === '.bin') continue;
    symlinkSync(path.join(root, 'node_modules', entry), path.join(tree, 'node_modules', entry));
  }
  for (const link of readdirSync(path.join(root, 'node_modules', '@hc'))) {
    const relative = path.relative(root, realpathSync(path.join(root, 'node_modules', '@hc', link)));
    if (existsSync(path.join(tree, relative)))
      symlinkSync(path.join(tree, relative), path.join(tree, 'node_modules', '@hc', link));
  }
  const build = spawnSync(process.execPath, ['deploy/image/build.mjs'], { cwd: tree, encoding: 'utf8' });
  if (build.status !== 0) throw new Error(`deploy/image/build.mjs failed:\n${build.stdout}\n${build.stderr}`);
  return tree;
}

// ---------------------------------------------------------------------------------------------

interface Running {
  name: Name;
  url: string;
  child: ChildProcess;
  readyMs: number;
  readyCpuMs: number;
  output: () => string;
}

interface Row {
  mode: string;
  name: Name;
  readyMs: number;
  readyCpuMs: number;
  idle: ProcessMemory & { heapUsed: number; heapTotal: number; external: number };
  loaded?: ProcessMemory & { heapUsed: number; heapTotal: number; external: number };
  /** CPU ms the process spent per request of the mixed load (a flag that saves memory may cost CPU). */
  cpuPerRequest?: number;
}

async function startTimed(name: Name, cwd: string, args: string[], env: Record<string, string>, port: number): Promise<Running> {
  const url = `http://127.0.0.1:${port}`;
  const started = performance.now();
  const child = spawn(process.execPath, [...EXTRA_FLAGS, ...args], {
    cwd,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const keep = (c: Buffer) => (out = (out + c.toString()).slice(-6000));
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const deadline = Date.now() + 180_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`${name} exited with ${child.exitCode}:\n${out}`);
    try {
      const res = await fetch(`${url}/ready`, { signal: AbortSignal.timeout(2_000) });
      if (res.status === 200) {
        return { name, url, child, readyMs: performance.now() - started, readyCpuMs: procCpuMs(child.pid!), output: () => out };
      }
    } catch {
      /* not listening yet */
    }
    await sleep(50);
  }
  child.kill('SIGKILL');
  throw new Error(`${name} was not ready within 180 s:\n${out}`);
}

async function stop(r: Running) {
  if (r.child.exitCode !== null || r.child.signalCode !== null) return;
  const exited = new Promise((resolve) => r.child.once('exit', resolve));
  r.child.kill('SIGTERM');
  const timer = setTimeout(() => r.child.kill('SIGKILL'), 15_000);
  await exited;
  clearTimeout(timer);
}

const loadavg = () =>
  os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');

async function main() {
  const log = (line: string) => process.stdout.write(`${line}\n`);
  log(`load average at start: ${loadavg()} (${os.cpus().length} cores, Node ${process.version})`);
  log(`node flags of the start scripts (scripts/node-flags.ts): ${NODE_FLAGS.join(' ') || '(none)'}`);
  if (EXTRA_FLAGS.length) log(`extra flags (BENCH_NODE_FLAGS): ${EXTRA_FLAGS.join(' ')}`);
  const run = randomBytes(4).toString('hex');
  const work = mkdtempSync(path.join(os.tmpdir(), 'hc-memory-'));
  const keys = createTestKeys();
  const databases = Object.fromEntries(SUBGRAPHS.map((s) => [s, withDatabase(SERVER, `bench_mem_${run}_${s}`)])) as Record<
    (typeof SUBGRAPHS)[number],
    string
  >;
  const running: Running[] = [];
  const cleanup = async () => {
    await Promise.all(running.map(stop));
    for (const url of Object.values(databases)) await dropDatabase(url).catch(() => undefined);
    rmSync(work, { recursive: true, force: true });
  };
  process.on('SIGINT', () => void cleanup().then(() => process.exit(130)));
  const rows: Row[] = [];
  try {
    const metricsToken = randomBytes(16).toString('hex');
    const common: Record<string, string> = {
      NODE_ENV: 'production',
      LOG_LEVEL: 'warn',
      HOST: '127.0.0.1',
      REDIS_URL,
      REDIS_PREFIX: `bench:${run}`,
      JWT_ISSUER: keys.issuer,
      JWT_AUDIENCE: keys.audience,
      MIGRATE_ON_START: 'false',
      SUBGRAPH_SHARED_SECRET: BENCH_SHARED_SECRET,
      INTERNAL_SECRET: randomBytes(24).toString('hex'),
      METRICS_TOKEN: metricsToken,
    };
    const perService: Record<Name, Record<string, string>> = {
      auth: {
        DATABASE_URL: databases.auth,
        KEYS_DIR: keys.dir,
        JWT_PRIVATE_KEY_FILE: path.join(keys.dir, 'active.pem'),
        BCRYPT_COST: '10',
        AUTH_RATE_LIMIT_IP: '100000',
        AUTH_RATE_LIMIT_ACCOUNT: '1000',
      },
      doctor: {
        DATABASE_URL: databases.doctor,
        DOCUMENTS_URL_SECRET: randomBytes(24).toString('hex'),
        DOCUMENTS_DIR: path.join(work, 'documents'),
      },
      // The API replica as deploy/k8s runs it: sending runs in notification-worker (RUN_WORKER=true there).
      notification: { DATABASE_URL: databases.notification, SMTP_URL: 'smtp://127.0.0.1:2525', RUN_WORKER: 'false' },
      pharmacy: { DATABASE_URL: databases.pharmacy },
      gateway: { RATE_LIMIT_ENABLED: 'false', CACHE_REDIS_URL: REDIS_URL },
    };

    // Migrated databases (the migrate Job), seeded: doctors for the directory, one patient.
    for (const s of SUBGRAPHS) {
      await ensureDatabase(databases[s]);
      const m = spawnSync(
        process.execPath,
        ['--import', './scripts/register.js', 'scripts/subgraph-cli.ts', s, 'migrate', 'up'],
        { cwd: root, env: { ...process.env, ...common, ...perService[s] }, encoding: 'utf8' },
      );
      if (m.status !== 0) throw new Error(`migrating ${s} failed:\n${m.stdout}\n${m.stderr}`);
    }
    const pools = {
      auth: new pg.Pool({ connectionString: databases.auth }),
      doctor: new pg.Pool({ connectionString: databases.doctor }),
    };
    const asOrm = (pool: pg.Pool) => ({
      em: {
        getConnection: () => ({
          execute: (sql: string, params: unknown[] = []) => {
            let i = 0;
            return pool.query(
              sql.replace(/\?/g, () => `$${++i}`),
              params,
            );
          },
        }),
      },
    });
    await seedDirectory(
      { subgraphs: { auth: { orm: asOrm(pools.auth) }, doctor: { orm: asOrm(pools.doctor) } } } as never,
      DOCTORS,
      'mem',
    );
    const email = `bench.memory.${run}@example.com`;
    const password = 'bench password 1';
    await pools.auth.query(
      `insert into users (id, name, email, password_hash, role, is_verified) values (gen_random_uuid(), 'Bench', $1, $2, 'PATIENT', true)`,
      [email, await bcrypt.hash(password, 10)],
    );
    await Promise.all([pools.auth.end(), pools.doctor.end()]);

    const compiled = MODES.includes('compiled') ? compiledTree(work) : '';
    for (const mode of MODES) {
      const cwd = mode === 'compiled' ? compiled : root;
      const entryArgs = (entry: string) =>
        mode === 'compiled'
          ? [...NODE_FLAGS, '--import', 'reflect-metadata', `${entry}.js`]
          : [...NODE_FLAGS, '--import', './scripts/register.js', `${entry}.ts`];
      const ports = Object.fromEntries(
        await Promise.all([...SUBGRAPHS, 'gateway' as const].map(async (n) => [n, await freePort()] as const)),
      ) as Record<Name, number>;
      const urls = Object.fromEntries(SUBGRAPHS.map((s) => [s, `http://127.0.0.1:${ports[s]}/graphql`])) as Record<
        (typeof SUBGRAPHS)[number],
        string
      >;
      const supergraphPath = path.join(work, `supergraph-${mode}.graphql`);
      writeFileSync(supergraphPath, await composeFromCode(subgraphs, urls));
      const started: Running[] = [];
      // One at a time, so each start-up has the machine to itself (as far as other work allows).
      for (const s of SUBGRAPHS) {
        const r = await startTimed(
          s,
          cwd,
          entryArgs(`subgraphs/${s}/src/main`),
          {
            ...common,
            ...perService[s],
            AUTH_JWKS_URL: `http://127.0.0.1:${ports.auth}/.well-known/jwks.json`,
            [`${s.toUpperCase()}_PORT`]: String(ports[s]),
          },
          ports[s],
        );
        running.push(r);
        started.push(r);
      }
      const gw = await startTimed(
        'gateway',
        cwd,
        entryArgs('gateway/src/main'),
        {
          ...common,
          ...perService.gateway,
          AUTH_JWKS_URL: `http://127.0.0.1:${ports.auth}/.well-known/jwks.json`,
          GATEWAY_PORT: String(ports.gateway),
          SUPERGRAPH_PATH: supergraphPath,
          AUTH_URL: urls.auth,
          DOCTOR_URL: urls.doctor,
          NOTIFICATION_URL: urls.notification,
          PHARMACY_URL: urls.pharmacy,
        },
        ports.gateway,
      );
      running.push(gw);
      started.push(gw);

      // Idle: BENCH_IDLE_SECONDS (5) after the last start (start-up garbage collected or not).
      await sleep(IDLE_SECONDS * 1000);
      const measure = async (r: Running) => ({ ...procMemory(r.child.pid!), ...(await v8Memory(r.url, metricsToken)) });
      const modeRows: Row[] = [];
      for (const r of started) {
        modeRows.push({ mode, name: r.name, readyMs: r.readyMs, readyCpuMs: r.readyCpuMs, idle: await measure(r) });
      }
      const gatewayUrl = `${gw.url}/graphql`;
      const login = await postJson(gatewayUrl, JSON.stringify({ query: LOGIN, variables: { e: email, p: password } }));
      const token = login.data?.login?.accessToken as string | undefined;
      if (!token) throw new Error(`login failed: ${JSON.stringify(login.errors)}`);
      const cpuBefore = started.map((r) => procCpuMs(r.child.pid!));
      const load = await mixedReads(gatewayUrl, { requests: REQUESTS, concurrency: CONCURRENCY, token });
      log(
        `${mode}: ${load.requests} mixed reads through the gateway in ${load.seconds.toFixed(1)} s, ${load.errors} errors${load.firstError ? ` (first: ${load.firstError})` : ''}; load average ${loadavg()}`,
      );
      await sleep(2_000);
      for (const [i, r] of started.entries()) {
        modeRows[i].cpuPerRequest = (procCpuMs(r.child.pid!) - cpuBefore[i]) / load.requests;
        modeRows[i].loaded = await measure(r);
      }
      rows.push(...modeRows);
      await Promise.all(started.map(stop));
      running.length = 0;
    }
  } finally {
    await cleanup();
  }

  // The table: MB = 10^6 bytes.
  const mb = (n: number) => (Number.isFinite(n) ? (n / MB).toFixed(0) : '-');
  const mark = (ok: boolean) => (ok ? '✔' : '✘');
  const head = [
    'mode',
    'service',
    'ready ms',
    'ready CPU ms',
    'RSS idle',
    'anon',
    'heap used/total',
    'external',
    'RSS loaded',
    'peak',
    'heap used/total',
    'CPU ms/req',
    'targets',
  ];
  const lines = rows.map((r) => {
    const idleTarget = r.name === 'gateway' ? MEMORY_TARGETS.gatewayIdle : MEMORY_TARGETS.subgraphIdle;
    const checks = [`idle ≤ ${idleTarget} ${mark(r.idle.rss / MB <= idleTarget)}`];
    if (r.name !== 'gateway' && r.loaded)
      checks.push(`loaded ≤ ${MEMORY_TARGETS.subgraphLoaded} ${mark(r.loaded.rss / MB <= MEMORY_TARGETS.subgraphLoaded)}`);
    return [
      r.mode,
      r.name,
      r.readyMs.toFixed(0),
      r.readyCpuMs.toFixed(0),
      mb(r.idle.rss),
      mb(r.idle.rssAnon),
      `${mb(r.idle.heapUsed)}/${mb(r.idle.heapTotal)}`,
      mb(r.idle.external),
      r.loaded ? mb(r.loaded.rss) : '-',
      r.loaded ? mb(r.loaded.hwm) : '-',
      r.loaded ? `${mb(r.loaded.heapUsed)}/${mb(r.loaded.heapTotal)}` : '-',
      r.cpuPerRequest !== undefined ? r.cpuPerRequest.toFixed(2) : '-',
      checks.join('  '),
    ];
  });
  const widths = head.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i].length)));
  const fmt = (cells: string[]) =>
    cells.map((c, i) => (i < 2 || i === cells.length - 1 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  log('\nMB = 10^6 bytes; RSS from /proc/<pid>/status, heap and external from /metrics (prom-client)');
  log(fmt(head));
  for (const l of lines) log(fmt(l));
  log(`load average at end: ${loadavg()}`);
  const dir = path.join(root, 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    path.join(dir, 'memory-latest.json'),
    JSON.stringify({ at: new Date().toISOString(), flags: [...NODE_FLAGS, ...EXTRA_FLAGS], rows }, null, 2),
  );
}

await main();
