// npm run bench:cpu — CPU milliseconds per request, per process, for a signed-in read mix through
// the gateway: `me` with addresses, myAppointments with doctor/workplace/patient names, a
// directory page, a week of availableSlots, myOrders, and the pharmacy search. CPU comes from
// /proc/<pid>/stat (utime + stime deltas) of each child process and of the PostgreSQL backends
// serving the bench databases, minus each service's idle CPU (measured after the warm-up, with no requests),
// divided by the requests answered: a count, robust on a shared machine where latencies and
// requests/s are not.
// All four subgraphs and the gateway run as child processes on loopback (NODE_ENV=production,
// LOG_LEVEL=warn) over fresh databases bench_cpu_<run>_*; autocannon runs here. Each operation is
// loaded alone for BENCH_SECONDS (5) with BENCH_CONNECTIONS (10), then the whole mix together.
// BENCH_PROFILE=1 writes V8 CPU profiles of every service to bench/results/prof/cpu-<run>/.
// Env: BENCH_SECONDS, BENCH_CONNECTIONS, BENCH_DOCTORS (40), BENCH_ONLY (comma-separated op names),
// DATABASE_SERVER_URL, REDIS_URL.
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';
import bcrypt from 'bcrypt';
import pg from 'pg';
import { dropDatabase, ensureDatabase, withDatabase } from '@hc/db';
import { composeFromCode, createTestKeys } from '@hc/testing';
import { seedDirectory } from '@hc/doctor-subgraph/testing';
import { freePort, LOGIN, postJson, root, startService, type Service } from './harness.js';
import { subgraphs } from '../scripts/subgraphs.ts';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 10);
const DOCTORS = Number(process.env.BENCH_DOCTORS ?? 40);
const IDLE_SECONDS = 4;
const ONLY = process.env.BENCH_ONLY?.split(',').filter(Boolean);
const SERVER = process.env.DATABASE_SERVER_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const SUBGRAPHS = ['auth', 'doctor', 'notification', 'pharmacy'] as const;
type Name = (typeof SUBGRAPHS)[number];
const url = (p: number, suffix = '/graphql') => `http://127.0.0.1:${p}${suffix}`;
const log = (line: string) => process.stdout.write(`${line}\n`);

const services: Service[] = [];
const databases: string[] = [];
async function cleanup() {
  await Promise.all(services.reverse().map((s) => s.stop()));
  for (const db of databases) await dropDatabase(db).catch(() => undefined);
}
process.on('SIGINT', () => void cleanup().then(() => process.exit(130)));

/** utime + stime of a process in milliseconds (0 when it is gone). */
function cpuMs(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // After the command: state is field 3, utime 14, stime 15 (1-based over the whole line).
    const ticks = Number(fields[11]) + Number(fields[12]);
    return (ticks * 1000) / CLOCK_TICKS;
  } catch {
    return 0;
  }
}
const CLOCK_TICKS = 100;

async function main() {
  const keys = createTestKeys();
  const runId = randomBytes(4).toString('hex');
  const port = {} as Record<Name | 'gateway', number>;
  for (const name of [...SUBGRAPHS, 'gateway'] as const) port[name] = await freePort();
  const common = {
    NODE_ENV: 'production',
    LOG_LEVEL: 'warn',
    HOST: '127.0.0.1',
    REDIS_URL,
    REDIS_PREFIX: `bench:${runId}`,
    JWT_ISSUER: keys.issuer,
    JWT_AUDIENCE: keys.audience,
    AUTH_JWKS_URL: url(port.auth, '/.well-known/jwks.json'),
    INTERNAL_SECRET: randomBytes(24).toString('hex'),
  };
  const profDir = path.join(root, 'bench', 'results', 'prof', `cpu-${runId}`);
  const profile = process.env.BENCH_PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${profDir}`] : [];
  log(
    `load average at start: ${os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  );

  const dbUrl = {} as Record<Name, string>;
  for (const name of SUBGRAPHS) {
    dbUrl[name] = withDatabase(SERVER, `bench_cpu_${runId}_${name}`);
    await ensureDatabase(dbUrl[name]);
    databases.push(dbUrl[name]);
  }
  for (const name of SUBGRAPHS) {
    services.push(
      await startService(
        name,
        [...profile, '--import', './scripts/register.js', `subgraphs/${name}/src/main.ts`],
        {
          ...common,
          ...(name === 'auth'
            ? { JWT_PRIVATE_KEY_FILE: path.join(keys.dir, 'active.pem'), KEYS_DIR: keys.dir, BCRYPT_COST: '10' }
            : {}),
          ...(name === 'doctor'
            ? { DOCUMENTS_URL_SECRET: randomBytes(32).toString('hex'), DOCUMENTS_DIR: path.join(keys.dir, 'documents') }
            : {}),
          ...(name === 'notification' ? { NODE_ENV: 'development', MAIL_CAPTURE_DIR: path.join(keys.dir, 'mail') } : {}),
          DATABASE_URL: dbUrl[name],
          DATABASE_POOL_MAX: '10',
          MIGRATE_ON_START: 'true',
          [`${name.toUpperCase()}_PORT`]: String(port[name]),
        },
        url(port[name], '/health'),
        url(port[name]),
      ),
    );
  }

  // Doctors (users in auth, profiles and a 09–17 workplace each in doctor) and one patient.
  const pools = { auth: new pg.Pool({ connectionString: dbUrl.auth }), doctor: new pg.Pool({ connectionString: dbUrl.doctor }) };
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
  const seeded = await seedDirectory(
    { subgraphs: { auth: { orm: asOrm(pools.auth) }, doctor: { orm: asOrm(pools.doctor) } } } as never,
    DOCTORS,
    'cpu',
  );
  const patientId = randomUUID();
  const email = `bench.${patientId.slice(0, 8)}@example.com`;
  const password = 'bench password 1';
  await pools.auth.query(
    `insert into users (id, name, email, password_hash, role, is_verified) values ($1, 'Bench Patient', $2, $3, 'PATIENT', true)`,
    [patientId, email, await bcrypt.hash(password, 10)],
  );
  await pools.doctor.query(
    `insert into user_copies (user_id, name, email, role, updated_at) values ($1, 'Bench Patient', $2, 'PATIENT', now())`,
    [patientId, email],
  );
  await Promise.all([pools.auth.end(), pools.doctor.end()]);

  const urls = Object.fromEntries(SUBGRAPHS.map((n) => [n, url(port[n])])) as Record<Name, string>;
  mkdirSync(path.join(root, 'bench', 'results'), { recursive: true });
  const supergraphPath = path.join(root, 'bench', 'results', `supergraph-cpu-${runId}.graphql`);
  writeFileSync(supergraphPath, await composeFromCode(subgraphs, urls));
  services.push(
    await startService(
      'gateway',
      [...profile, '--import', './scripts/register.js', 'gateway/src/main.ts'],
      {
        ...common,
        GATEWAY_PORT: String(port.gateway),
        SUPERGRAPH_PATH: supergraphPath,
        AUTH_URL: urls.auth,
        DOCTOR_URL: urls.doctor,
        NOTIFICATION_URL: urls.notification,
        PHARMACY_URL: urls.pharmacy,
        RATE_LIMIT_ENABLED: 'false',
        RESPONSE_CACHE: 'false',
        CACHE_REDIS_URL: REDIS_URL,
      },
      url(port.gateway, '/health'),
      url(port.gateway),
    ),
  );
  const gateway = url(port.gateway);

  // Signed in as the patient: two addresses and three booked appointments through the API.
  const login = await postJson(gateway, JSON.stringify({ query: LOGIN, variables: { e: email, p: password } }));
  if (!login.data?.login) throw new Error(`login failed: ${JSON.stringify(login.errors)}`);
  const token = login.data.login.accessToken as string;
  const auth = { authorization: `Bearer ${token}` };
  const call = async (query: string, variables: Record<string, unknown> = {}) => {
    const res = await postJson(gateway, JSON.stringify({ query, variables }), auth);
    if (res.errors) throw new Error(`${query.slice(0, 60)}: ${JSON.stringify(res.errors)}`);
    return res.data;
  };
  for (const [i, city] of ['Cairo', 'Giza'].entries())
    await call(`mutation($i: AddressInput!) { addAddress(input: $i) { id } }`, {
      i: { type: i ? 'WORK' : 'HOME', street: `${i + 1} Bench Street`, city, country: 'EG', isDefault: i === 0 },
    });
  const week = (() => {
    const from = new Date(Date.now() + 2 * 86_400_000);
    from.setUTCHours(0, 0, 0, 0);
    return { from: from.toISOString(), to: new Date(from.getTime() + 7 * 86_400_000).toISOString() };
  })();
  const target = seeded.doctors[0];
  const slots = (await call(
    `query($d: ID!, $w: ID!, $f: DateTime!, $t: DateTime!) { doctor(id: $d) { availableSlots(workplaceId: $w, from: $f, to: $t) { workplaceId startsAt } } }`,
    { d: target.doctorId, w: target.workplaceId, f: week.from, t: week.to },
  )) as { doctor: { availableSlots: { workplaceId: string; startsAt: string }[] } };
  // Three appointments with the first doctor (every seeded workplace keeps the same hours).
  for (const i of [0, 3, 6]) {
    const slot = slots.doctor.availableSlots[i];
    await call(`mutation($i: BookAppointmentInput!) { bookAppointment(input: $i) { id } }`, {
      i: { workplaceId: slot.workplaceId, startsAt: slot.startsAt },
    });
  }

  const ops: { name: string; query: string; variables?: Record<string, unknown> }[] = [
    { name: 'me', query: `{ me { id name email addresses { id type street city isDefault } } }` },
    {
      name: 'myAppointments',
      query: `{ myAppointments(first: 20) { totalCount nodes { id startsAt endsAt status patient { name } doctor { id specialization user { name } } workplace { id name timeZone } } } }`,
    },
    {
      name: 'directory',
      query: `query($f: Int) { doctors(first: $f) { totalCount nodes { id specialization user { name } workplaces { id name type timeZone } } } }`,
      variables: { f: 20 },
    },
    {
      name: 'availableSlots',
      query: `query($d: ID!, $w: ID!, $f: DateTime!, $t: DateTime!) { doctor(id: $d) { id availableSlots(workplaceId: $w, from: $f, to: $t) { workplaceId startsAt endsAt } } }`,
      variables: { d: target.doctorId, w: target.workplaceId, f: week.from, t: week.to },
    },
    { name: 'myOrders', query: `{ myOrders(first: 20) { totalCount nodes { id status totalAmount orderDate } } }` },
    {
      name: 'search',
      query: `query($q: String!) { search(query: $q, first: 20) { pharmacies { id name } products { price } } }`,
      variables: { q: 'para' },
    },
  ];
  // Every operation answers without errors, and with data where there is data.
  for (const op of ops) {
    const data = await call(op.query, op.variables);
    if (op.name === 'myAppointments' && (data as any).myAppointments.totalCount !== 3) throw new Error('appointments missing');
  }

  // PostgreSQL backends serving the bench databases (pool connections, kept open).
  const admin = new pg.Pool({ connectionString: SERVER, max: 1 });
  const pgPids = async () =>
    (
      await admin.query<{ pid: number }>(`select pid from pg_stat_activity where datname like $1`, [`bench_cpu_${runId}_%`])
    ).rows.map((r) => r.pid);

  const processes = () => services.map((s) => ({ name: s.name, pid: s.child.pid! }));
  type Row = { op: string; requests: number; errors: number; perProcess: Record<string, number>; total: number };
  const rows: Row[] = [];
  const idle: Record<string, number> = {};
  const measure = async (name: string, requests: { body: string }[]) => {
    const pids = [...processes(), ...(await pgPids()).map((pid) => ({ name: 'postgres', pid }))];
    const before = pids.map((p) => cpuMs(p.pid));
    const started = Date.now();
    const instance = autocannon({
      url: gateway,
      method: 'POST',
      headers: { 'content-type': 'application/json', ...auth },
      requests: requests.map((r) => ({ body: r.body })),
      duration: SECONDS,
      connections: CONNECTIONS,
      verifyBody: (text: string) => !text.includes('"errors"'),
    });
    const result = await instance;
    // New PostgreSQL backends opened during the run count from zero.
    const after = pids.map((p) => cpuMs(p.pid));
    const perProcess: Record<string, number> = {};
    const n = result.requests.total;
    // A backend that closed during the run reads 0: its share is lost rather than negative.
    pids.forEach((p, i) => (perProcess[p.name] = (perProcess[p.name] ?? 0) + Math.max(0, after[i] - before[i]) / n));
    for (const pid of await pgPids())
      if (!pids.some((p) => p.pid === pid)) perProcess.postgres = (perProcess.postgres ?? 0) + cpuMs(pid) / n;
    const seconds = (Date.now() - started) / 1000;
    for (const [proc, rate] of Object.entries(idle)) perProcess[proc] = Math.max(0, perProcess[proc] - (rate * seconds) / n);
    const total = Object.values(perProcess).reduce((a, b) => a + b, 0);
    rows.push({ op: name, requests: n, errors: result.errors + result.non2xx + (result.mismatches ?? 0), perProcess, total });
  };
  const bodyOf = (op: (typeof ops)[number]) => JSON.stringify({ query: op.query, variables: op.variables ?? {} });
  const selected = ops.filter((op) => !ONLY || ONLY.includes(op.name));
  // Warm-up: JIT, plan caches, pools.
  await measure(
    'warm-up',
    ops.map((op) => ({ body: bodyOf(op) })),
  );
  rows.length = 0;
  // Background work (timers, polls, relays) burns CPU with no request at all: measured idle for
  // IDLE_SECONDS after the warm-up and subtracted, so a slow run (fewer requests) is not charged more per request.
  {
    const pids = processes();
    const before = pids.map((p) => cpuMs(p.pid));
    const started = Date.now();
    await new Promise((r) => setTimeout(r, IDLE_SECONDS * 1000));
    const seconds = (Date.now() - started) / 1000;
    pids.forEach((p, i) => (idle[p.name] = (cpuMs(p.pid) - before[i]) / seconds));
  }
  for (const op of selected) await measure(op.name, [{ body: bodyOf(op) }]);
  if (!ONLY)
    await measure(
      'mix (all six, round robin)',
      ops.map((op) => ({ body: bodyOf(op) })),
    );
  await admin.end();

  const columns = ['gateway', 'auth', 'doctor', 'pharmacy', 'notification', 'postgres'];
  const head = ['operation', 'requests', 'errors', ...columns, 'total'];
  const lines = rows.map((r) => [
    r.op,
    String(r.requests),
    String(r.errors),
    ...columns.map((c) => (r.perProcess[c] ?? 0).toFixed(2)),
    r.total.toFixed(2),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i].length)));
  const fmt = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  log(`\nCPU ms per request (utime+stime from /proc, ${SECONDS}s per row, ${CONNECTIONS} connections)`);
  log(fmt(head));
  for (const l of lines) log(fmt(l));
  log(
    `idle CPU subtracted (ms per second): ${Object.entries(idle)
      .map(([k, v]) => `${k} ${v.toFixed(1)}`)
      .join(', ')}`,
  );
  log(
    `load average at end: ${os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  );
  if (profile.length) log(`profiles: ${profDir} (written when the services stop)`);
  writeFileSync(
    path.join(root, 'bench', 'results', 'cpu-per-request-latest.json'),
    JSON.stringify(
      { at: new Date().toISOString(), loadavg: os.loadavg(), seconds: SECONDS, connections: CONNECTIONS, rows },
      null,
      2,
    ),
  );
}

try {
  await main();
} catch (error) {
  process.stderr.write(`bench failed: ${(error as Error).stack ?? error}\n`);
  process.exitCode = 1;
} finally {
  await cleanup();
}
