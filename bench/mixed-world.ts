// The pieces of `npm run bench:mixed` other benches reuse (memory, soak): a full stack of the four
// subgraphs and the gateway(s) as child processes over fresh databases, a realistic world seeded
// through the services' own code and public API, a fixed weighted mix of operations, and a load
// generator that checks every answer.
import { randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import bcrypt from 'bcrypt';
import pg from 'pg';
import { MikroORM } from '@mikro-orm/postgresql';
import { Client } from 'undici';
import { dropDatabase, ensureDatabase, ormConfig, withDatabase } from '@hc/db';
import { composeFromCode, createTestKeys } from '@hc/testing';
import { entities as authEntities, migrations as authMigrations } from '@hc/auth-subgraph/entities';
import { KeyStore, publishUserChanged, TokenService, User } from '@hc/auth-subgraph/admin';
import { subgraphs } from '../scripts/subgraphs.ts';
import { freePort, percentile, root, startService, type Service } from './harness.js';

export const SUBGRAPHS = ['auth', 'doctor', 'notification', 'pharmacy'] as const;
export type SubgraphName = (typeof SUBGRAPHS)[number];

// ---------------------------------------------------------------------------- stack

export interface MixedStack {
  runId: string;
  /** Subgraph GraphQL URLs. */
  urls: Record<SubgraphName, string>;
  databases: Record<SubgraphName, string>;
  /** Our gateway (response cache off). */
  gatewayUrl: string;
  /** Hive Gateway on the same supergraph and subgraphs, when started. */
  hiveUrl?: string;
  services: Service[];
  keysDir: string;
  issuer: string;
  audience: string;
  /** Bearer token for every service's /metrics (production hides it otherwise). */
  metricsToken: string;
  /** Where each subgraph dumps its statement samples (DB_STATEMENT_SAMPLES_FILE), when sampling. */
  samplesFile?: (name: SubgraphName) => string;
  stop: () => Promise<void>;
}

export interface StackOptions {
  /**
   * Gateway ↔ subgraph request signing (SUBGRAPH_SHARED_SECRET), on by default as in production.
   * Off: no secret anywhere, and NODE_ENV=development (production refuses to start without it).
   */
  signed?: boolean;
  hive?: boolean;
  /** Write V8 CPU profiles of every service to `<profileDir>/<service>/` (`--cpu-prof`). */
  profileDir?: string;
  /** Subgraphs keep every distinct statement with one sample of parameters (diagnostics only). */
  sampleStatements?: boolean;
  /** Extra env for every service. */
  env?: Record<string, string>;
  log?: (line: string) => void;
}

const SERVER = process.env.DATABASE_SERVER_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const at = (p: number, suffix = '/graphql') => `http://127.0.0.1:${p}${suffix}`;

/**
 * The four subgraphs (NODE_ENV=production unless unsigned, LOG_LEVEL=warn; notification in development
 * so mail is captured to files), our gateway (response cache and rate limits off) and optionally Hive Gateway,
 * each a child process on a free loopback port, over fresh `bench_mix_<run>_*` databases.
 */
export async function startMixedStack(options: StackOptions = {}): Promise<MixedStack> {
  const runId = randomBytes(4).toString('hex');
  const keys = createTestKeys();
  const services: Service[] = [];
  const databases = {} as Record<SubgraphName, string>;
  const resultsDir = path.join(root, 'bench', 'results');
  mkdirSync(resultsDir, { recursive: true });
  const metricsToken = randomBytes(16).toString('hex');
  const samplesFile = options.sampleStatements
    ? (name: SubgraphName) => path.join(resultsDir, `statements-${name}-${runId}.json`)
    : undefined;
  const supergraphPath = path.join(resultsDir, `mixed-supergraph-${runId}.graphql`);
  const stop = async () => {
    await Promise.all([...services].reverse().map((s) => s.stop()));
    for (const db of Object.values(databases)) await dropDatabase(db).catch(() => undefined);
    rmSync(supergraphPath, { force: true });
  };
  const port = {} as Record<SubgraphName | 'gateway' | 'hive', number>;
  for (const name of [...SUBGRAPHS, 'gateway', 'hive'] as const) port[name] = await freePort();
  const urls = Object.fromEntries(SUBGRAPHS.map((n) => [n, at(port[n])])) as Record<SubgraphName, string>;
  const secret: Record<string, string> = options.signed === false ? { SUBGRAPH_SHARED_SECRET: '' } : {};
  const profile = (name: string) =>
    options.profileDir ? ['--cpu-prof', `--cpu-prof-dir=${path.join(options.profileDir, name)}`] : [];
  const common = {
    // Production refuses to start without the signing key: an unsigned stack runs in development
    // mode (for valid requests the difference is introspection, the landing page and error detail).
    NODE_ENV: options.signed === false ? 'development' : 'production',
    LOG_LEVEL: 'warn',
    HOST: '127.0.0.1',
    REDIS_URL,
    REDIS_PREFIX: `bench:${runId}`,
    JWT_ISSUER: keys.issuer,
    JWT_AUDIENCE: keys.audience,
    AUTH_JWKS_URL: at(port.auth, '/.well-known/jwks.json'),
    INTERNAL_SECRET: randomBytes(24).toString('hex'),
    METRICS_TOKEN: metricsToken,
    ...secret,
    ...options.env,
  };
  try {
    for (const name of SUBGRAPHS) {
      databases[name] = withDatabase(SERVER, `bench_mix_${runId}_${name}`);
      await ensureDatabase(databases[name]);
    }
    for (const name of SUBGRAPHS) {
      services.push(
        await startService(
          name,
          [...profile(name), '--import', './scripts/register.js', `subgraphs/${name}/src/main.ts`],
          {
            ...common,
            ...(name === 'auth' ? { JWT_PRIVATE_KEY_FILE: path.join(keys.dir, 'active.pem'), KEYS_DIR: keys.dir } : {}),
            ...(name === 'doctor'
              ? { DOCUMENTS_URL_SECRET: randomBytes(32).toString('hex'), DOCUMENTS_DIR: path.join(keys.dir, 'documents') }
              : {}),
            ...(name === 'notification' ? { NODE_ENV: 'development', MAIL_CAPTURE_DIR: path.join(keys.dir, 'mail') } : {}),
            ...(samplesFile ? { DB_STATEMENT_SAMPLES_FILE: samplesFile(name) } : ({} as Record<string, string>)),
            DATABASE_URL: databases[name],
            DATABASE_POOL_MAX: '10',
            MIGRATE_ON_START: 'true',
            [`${name.toUpperCase()}_PORT`]: String(port[name]),
          },
          at(port[name], '/health'),
          at(port[name]),
        ),
      );
    }
    writeFileSync(supergraphPath, await composeFromCode(subgraphs, urls));
    services.push(
      await startService(
        'gateway',
        [...profile('gateway'), '--import', './scripts/register.js', 'gateway/src/main.ts'],
        {
          ...common,
          GATEWAY_PORT: String(port.gateway),
          SUPERGRAPH_PATH: supergraphPath,
          AUTH_URL: urls.auth,
          DOCTOR_URL: urls.doctor,
          NOTIFICATION_URL: urls.notification,
          PHARMACY_URL: urls.pharmacy,
          RESPONSE_CACHE: 'false',
          CACHE_REDIS_URL: REDIS_URL,
          // One load generator on one address: the per-address rate limit would measure itself.
          RATE_LIMIT_ENABLED: 'false',
        },
        at(port.gateway, '/health'),
        at(port.gateway),
      ),
    );
    let hiveUrl: string | undefined;
    if (options.hive) {
      const hiveBin = realpathSync(path.join(root, 'node_modules/.bin/hive-gateway'));
      services.push(
        await startService(
          'hive-gateway',
          [
            ...profile('hive-gateway'),
            '--import',
            './scripts/register.js',
            hiveBin,
            'supergraph',
            supergraphPath,
            '--config-path',
            'bench/hive-gateway.config.ts',
            '--port',
            String(port.hive),
            '--host',
            '127.0.0.1',
            '--fork',
            '1',
          ],
          { NODE_ENV: 'production', ...secret },
          at(port.hive, '/healthcheck'),
          at(port.hive),
        ),
      );
      hiveUrl = at(port.hive);
    }
    options.log?.(`stack up: 4 subgraphs, gateway${hiveUrl ? ', Hive Gateway' : ''} (run ${runId})`);
    return {
      runId,
      urls,
      databases,
      gatewayUrl: at(port.gateway),
      hiveUrl,
      services,
      keysDir: keys.dir,
      issuer: keys.issuer,
      audience: keys.audience,
      metricsToken,
      samplesFile,
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** Sum of a counter on a service's /metrics (with the bench's metrics token). */
export async function metric(stack: MixedStack, graphqlUrl: string, name: string): Promise<number> {
  const res = await fetch(graphqlUrl.replace(/\/graphql$/, '/metrics'), {
    headers: { authorization: `Bearer ${stack.metricsToken}` },
  });
  if (!res.ok) throw new Error(`${graphqlUrl} /metrics: HTTP ${res.status}`);
  return (await res.text())
    .split('\n')
    .filter((l) => l.startsWith(`${name}{`) || l.startsWith(`${name} `))
    .reduce((sum, l) => sum + Number(l.slice(l.lastIndexOf(' ') + 1)), 0);
}

/** db_statements_total of every subgraph. */
export async function statementCounts(stack: MixedStack): Promise<Record<SubgraphName, number>> {
  const out = {} as Record<SubgraphName, number>;
  for (const name of SUBGRAPHS) out[name] = await metric(stack, stack.urls[name], 'db_statements_total');
  return out;
}

// ---------------------------------------------------------------------------- CPU and memory from /proc

const TICK_MS = 10; // USER_HZ = 100 on Linux

function procStat(pid: number): { ppid: number; ticks: number; rssPages: number; comm: string } | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const close = text.lastIndexOf(')');
    const comm = text.slice(text.indexOf('(') + 1, close);
    const f = text
      .slice(close + 2)
      .split(' ')
      .map(Number);
    // after "pid (comm) ": state ppid ... utime (14th field), stime (15th), rss in pages (24th)
    return { ppid: f[1], ticks: f[11] + f[12], rssPages: f[21], comm };
  } catch {
    return undefined;
  }
}

function allProcs(): Map<number, { ppid: number; ticks: number; rssPages: number; comm: string }> {
  const out = new Map<number, { ppid: number; ticks: number; rssPages: number; comm: string }>();
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    const s = procStat(Number(d));
    if (s) out.set(Number(d), s);
  }
  return out;
}

/** CPU ticks per process group: each service with its descendants, our PostgreSQL backends, Redis, this process. */
export async function cpuSnapshot(stack: MixedStack): Promise<Record<string, Map<number, number>>> {
  const procs = allProcs();
  const children = new Map<number, number[]>();
  for (const [pid, p] of procs) children.set(p.ppid, [...(children.get(p.ppid) ?? []), pid]);
  const tree = (pid: number): number[] => [pid, ...(children.get(pid) ?? []).flatMap(tree)];
  const snap: Record<string, Map<number, number>> = {};
  for (const s of stack.services) {
    snap[s.name] = new Map();
    for (const pid of tree(s.child.pid!)) snap[s.name].set(pid, procs.get(pid)?.ticks ?? 0);
  }
  const client = new pg.Client({ connectionString: stack.databases.auth });
  await client.connect();
  const { rows } = await client.query<{ pid: number }>(
    'select pid from pg_stat_activity where datname = any($1::text[]) and pid <> pg_backend_pid()',
    [Object.values(stack.databases).map((u) => new URL(u).pathname.slice(1))],
  );
  await client.end();
  snap.postgres = new Map(rows.map((r) => [r.pid, procs.get(r.pid)?.ticks ?? 0]));
  snap['redis (shared)'] = new Map(
    [...procs].filter(([, p]) => p.comm === 'redis-server').map(([pid, p]) => [pid, p.ticks] as [number, number]),
  );
  snap['load generator'] = new Map([[process.pid, procs.get(process.pid)?.ticks ?? 0]]);
  return snap;
}

/** CPU ms per group between two snapshots (a process new in `after` counts from its start). */
export function cpuDelta(before: Record<string, Map<number, number>>, after: Record<string, Map<number, number>>) {
  const out: Record<string, number> = {};
  for (const [group, pids] of Object.entries(after)) {
    let ticks = 0;
    for (const [pid, t] of pids) ticks += t - (before[group]?.get(pid) ?? 0);
    out[group] = ticks * TICK_MS;
  }
  return out;
}

/** Resident memory (MB) of each service with its descendants, now. */
export function rssMb(stack: MixedStack): Record<string, number> {
  const procs = allProcs();
  const children = new Map<number, number[]>();
  for (const [pid, p] of procs) children.set(p.ppid, [...(children.get(p.ppid) ?? []), pid]);
  const tree = (pid: number): number[] => [pid, ...(children.get(pid) ?? []).flatMap(tree)];
  const page = 4096;
  return Object.fromEntries(
    stack.services.map((s) => [
      s.name,
      tree(s.child.pid!).reduce((n, pid) => n + (procs.get(pid)?.rssPages ?? 0), 0) * (page / 1024 / 1024),
    ]),
  );
}

// ---------------------------------------------------------------------------- GraphQL client

export interface GqlError {
  message: string;
  extensions?: { code?: string; reason?: string };
}
export interface GqlResult<T = any> {
  data?: T;
  errors?: GqlError[];
}

export async function gql<T = any>(url: string, query: string, variables: Record<string, unknown> = {}, token?: string) {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query, variables }),
  });
  return (await res.json()) as GqlResult<T>;
}

/** `gql` that throws on any error (seeding). */
export async function must<T = any>(url: string, query: string, variables: Record<string, unknown> = {}, token?: string) {
  const res = await gql<T>(url, query, variables, token);
  if (res.errors?.length || !res.data)
    throw Object.assign(new Error(`${res.errors?.[0]?.extensions?.code ?? 'ERROR'}: ${res.errors?.[0]?.message}`), {
      code: res.errors?.[0]?.extensions?.code,
    });
  return res.data;
}

/** Retries while read copies catch up (events travel auth → outbox → BullMQ → consumer). */
async function eventually<T>(fn: () => Promise<T>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await fn();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((r) => setTimeout(r, 300));
    }
  }
}

async function pool<T>(items: T[], size: number, fn: (item: T, index: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(size, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        await fn(items[i], i);
      }
    }),
  );
}

// ---------------------------------------------------------------------------- world

export type Role = 'PATIENT' | 'DOCTOR' | 'ASSISTANT' | 'PHARMACY' | 'ADMIN';
export interface Account {
  id: string;
  email: string;
  name: string;
  role: Role;
  token: string;
}
export interface Slot {
  workplaceId: string;
  startsAt: string;
}
export interface World {
  admin: Account;
  patients: Account[];
  doctors: (Account & { doctorId: string; workplaceIds: string[] })[];
  assistants: Account[];
  pharmacies: (Account & { pharmacyId: string; branches: { id: string; city: string; itemIds: string[] }[] })[];
  specializations: string[];
  cities: string[];
  categoryIds: string[];
  /** Search terms patients type (some with typos). */
  terms: string[];
  /** Free slots 8–14 days ahead the load books from (and returns to after cancelling). */
  freeSlots: Slot[];
  /** Appointments the load booked and may cancel. */
  openBookings: { patient: Account; id: string; slot: Slot }[];
  /** endCursor of the first directory page (first 10) per filter, for second pages. */
  directoryCursors: { filter: Record<string, string>; cursor: string }[];
  /** Every signed-in user of the load (patients, doctors, assistants, pharmacies). */
  users: Account[];
}

export interface WorldSize {
  patients: number;
  doctors: number;
  assistants: number;
  pharmacies: number;
  itemsPerPharmacy: number;
}
/** 200 signed-in users: 153 patients, 30 doctors, 15 assistants, 2 pharmacies. */
export const DEFAULT_WORLD: WorldSize = { patients: 153, doctors: 30, assistants: 15, pharmacies: 2, itemsPerPharmacy: 60 };

const FIRST = ['Amira', 'Omar', 'Lina', 'Karim', 'Sara', 'Youssef', 'Nour', 'Hassan', 'Maya', 'Adam', 'Leila', 'Tarek', 'Emma'];
const LAST = ['Haddad', 'Mansour', 'Khalil', 'Nasser', 'Farouk', 'Saleh', 'Aziz', 'Smith', 'Weber', 'Tanaka', 'Garcia'];
const SPECIALTIES = ['Cardiology', 'Dermatology', 'Pediatrics', 'Neurology', 'Orthopedics', 'General Practice'];
const CITIES = [
  { city: 'Cairo', country: 'EG', timeZone: 'Africa/Cairo', currency: 'EGP', fee: '450.00' },
  { city: 'London', country: 'GB', timeZone: 'Europe/London', currency: 'GBP', fee: '120.00' },
  { city: 'Dubai', country: 'AE', timeZone: 'Asia/Dubai', currency: 'AED', fee: '350.00' },
  { city: 'Berlin', country: 'DE', timeZone: 'Europe/Berlin', currency: 'EUR', fee: '95.00' },
];
const MEDICINES = ['Paracetamol', 'Ibuprofen', 'Cetirizine', 'Loratadine', 'Omeprazole', 'Vitamin D3', 'Vitamin C', 'Zinc'];
const RX = ['Amoxicillin', 'Metformin'];
const FORMS = ['tablet', 'capsule', 'syrup', 'cream', 'drops'];
const WEEKDAYS = ['MONDAY', 'TUESDAY', 'WEDNESDAY', 'THURSDAY', 'FRIDAY', 'SATURDAY', 'SUNDAY'];
const personName = (i: number) => `${FIRST[i % FIRST.length]} ${LAST[(i * 7) % LAST.length]}`;
const DAY = 24 * 3600_000;

const SLOTS = `query Slots($id: ID!, $from: DateTime!, $to: DateTime!, $w: ID) {
  doctor(id: $id) { availableSlots(from: $from, to: $to, workplaceId: $w) { workplaceId startsAt } }
}`;
const BOOK = `mutation Book($input: BookAppointmentInput!) { bookAppointment(input: $input) { id status startsAt } }`;
const PLACE_ORDER = `mutation Order($input: PlaceOrderInput!) {
  placeOrder(input: $input) { id status totalAmount items { quantity item { id name } } }
}`;

/**
 * Seeds the world: accounts through auth's own entities (verified, `user.changed` through the
 * outbox so the other subgraphs' read copies follow; tokens minted with auth's TokenService and
 * the stack's key, as `npm run seed` does), everything else through the public API at the gateway
 * as an app would: doctor profiles, workplaces with weekly hours, approval, assistants invited and
 * accepted, patients' addresses and booked appointments, pharmacies with branches, a catalogue with
 * stock, and orders.
 */
export async function seedMixedWorld(
  stack: MixedStack,
  size: WorldSize = DEFAULT_WORLD,
  log: (line: string) => void = () => undefined,
): Promise<World> {
  const GW = stack.gatewayUrl;
  const started = Date.now();
  const orm = await MikroORM.init(
    ormConfig({ databaseUrl: stack.databases.auth, entities: authEntities, migrations: authMigrations }),
  );
  const tokens = new TokenService(
    KeyStore.load({ file: path.join(stack.keysDir, 'active.pem'), dir: stack.keysDir, production: false }),
    {
      issuer: stack.issuer,
      audience: stack.audience,
      accessTtlSeconds: 6 * 3600,
      refreshTtlSeconds: 7 * 24 * 3600,
      refreshIdleSeconds: 24 * 3600,
    },
  );
  const passwordHash = await bcrypt.hash('bench password 1', 10);
  const create = async (specs: { email: string; name: string; role: Role }[]): Promise<Account[]> => {
    const em = orm.em.fork();
    const users = specs.map((s) => {
      const user = em.create(User, {
        name: s.name,
        email: s.email,
        role: s.role,
        passwordHash,
        isVerified: true,
        emailVerifiedAt: new Date(),
      } as never);
      publishUserChanged(em, user);
      return user;
    });
    await em.flush();
    return users.map((u, i) => ({ ...specs[i], id: u.id, token: tokens.signAccessToken(u) }));
  };
  const [admin] = await create([{ email: 'admin@bench.health', name: 'Bench Admin', role: 'ADMIN' }]);
  const doctorAccounts = await create(
    Array.from({ length: size.doctors }, (_, i) => ({
      email: `doctor${i}@bench.health`,
      name: `Dr. ${personName(i)}`,
      role: 'DOCTOR' as const,
    })),
  );
  const patients = await create(
    Array.from({ length: size.patients }, (_, i) => ({
      email: `patient${i}@bench.health`,
      name: personName(i + 5),
      role: 'PATIENT' as const,
    })),
  );
  const assistants = await create(
    Array.from({ length: size.assistants }, (_, i) => ({
      email: `assistant${i}@bench.health`,
      name: personName(i + 3),
      role: 'ASSISTANT' as const,
    })),
  );
  const owners = await create(
    Array.from({ length: size.pharmacies }, (_, i) => ({
      email: `pharmacy${i}@bench.health`,
      name: `${LAST[i]} Pharmacy Group`,
      role: 'PHARMACY' as const,
    })),
  );
  await orm.close();

  // Doctors: profile, one workplace (every third a second one), approved by the admin.
  const doctors: World['doctors'] = [];
  await pool(doctorAccounts, 4, async (acc, i) => {
    const place = CITIES[i % CITIES.length];
    const spec = SPECIALTIES[i % SPECIALTIES.length];
    const { upsertDoctorProfile: doc } = await eventually(() =>
      must(
        GW,
        `mutation($input: DoctorProfileInput!) { upsertDoctorProfile(input: $input) { id } }`,
        { input: { specialization: spec, licenseNumber: `BENCH-LIC-${i}`, biography: `${spec} in ${place.city}.` } },
        acc.token,
      ),
    );
    const workplaceIds: string[] = [];
    for (let w = 0; w < (i % 3 === 0 ? 2 : 1); w++) {
      const wplace = CITIES[(i + w) % CITIES.length];
      const { createWorkplace } = await must(
        GW,
        `mutation($input: WorkplaceInput!) { createWorkplace(input: $input) { id } }`,
        {
          input: {
            name: `${LAST[(i * 7 + w) % LAST.length]} ${spec} ${w ? 'Hospital' : 'Clinic'}`,
            type: w ? 'HOSPITAL' : 'CLINIC',
            isPrimary: w === 0,
            timeZone: wplace.timeZone,
            // Every day, so a week of slots always has some whatever the day the bench runs.
            workingHours: WEEKDAYS.map((day) => ({ day, start: '09:00', end: i % 2 ? '17:00' : '13:00' })),
            slotDurationMinutes: [15, 20, 30][i % 3],
            consultationFee: wplace.fee,
            currency: wplace.currency,
            servicesOffered: ['Consultation', 'Follow-up'],
            insuranceAccepted: i % 3 ? ['AXA', 'Allianz'] : [],
            address: { type: 'CLINIC', street: `${10 + i} Health Street`, city: wplace.city, country: wplace.country },
          },
        },
        acc.token,
      );
      workplaceIds.push(createWorkplace.id);
    }
    await must(GW, `mutation($id: ID!) { reviewDoctor(doctorId: $id, status: APPROVED) { id } }`, { id: doc.id }, admin.token);
    doctors[i] = { ...acc, doctorId: doc.id, workplaceIds };
  });
  log(`  ${doctors.length} approved doctors, ${doctors.reduce((n, d) => n + d.workplaceIds.length, 0)} workplaces`);

  // Assistants: invited by a doctor to a workplace, accepted. The invite addresses the account only
  // once the doctor subgraph's read copy of it exists (user.changed, through auth's outbox).
  const copies = new pg.Client({ connectionString: stack.databases.doctor });
  await copies.connect();
  try {
    await eventually(async () => {
      const { rows } = await copies.query<{ n: number }>(
        'select count(*)::int as n from user_copies where user_id = any($1::uuid[])',
        [assistants.map((a) => a.id)],
      );
      if (rows[0].n < assistants.length) throw new Error(`${rows[0].n} of ${assistants.length} assistants copied to doctor`);
    }, 60_000);
  } finally {
    await copies.end();
  }
  await pool(assistants, 4, async (assistant, i) => {
    const doctor = doctors[i % doctors.length];
    const { inviteAssistant } = await eventually(() =>
      must(
        GW,
        `mutation($input: InviteAssistantInput!) { inviteAssistant(input: $input) { id } }`,
        { input: { assistantEmail: assistant.email, workplaceId: doctor.workplaceIds[0], message: 'Front desk?' } },
        doctor.token,
      ),
    );
    // The invite reaches the assistant's side through the doctor subgraph's read copies too.
    await eventually(() =>
      must(
        GW,
        `mutation($id: ID!) { respondToInvite(inviteId: $id, accept: true) { id } }`,
        { id: inviteAssistant.id },
        assistant.token,
      ),
    );
  });
  log(`  ${assistants.length} assistants assigned`);

  // Patients: one or two addresses, two upcoming appointments booked from real free slots.
  const slotsOf = async (doctor: World['doctors'][number], workplaceId: string, fromDay: number, days: number, token: string) => {
    const from = new Date(Date.now() + fromDay * DAY);
    const to = new Date(from.getTime() + days * DAY);
    const { doctor: d } = await must(
      GW,
      SLOTS,
      { id: doctor.doctorId, from: from.toISOString(), to: to.toISOString(), w: workplaceId },
      token,
    );
    return d.availableSlots as Slot[];
  };
  const taken = new Set<string>();
  let booked = 0;
  await pool(patients, 6, async (patient, i) => {
    for (let a = 0; a < 1 + (i % 2); a++) {
      const place = CITIES[(i + a) % CITIES.length];
      await must(
        GW,
        `mutation($input: AddressInput!) { addAddress(input: $input) { id } }`,
        {
          input: {
            type: a ? 'WORK' : 'HOME',
            street: `${1 + i} ${a ? 'Office Park' : 'Garden Road'}`,
            city: place.city,
            postalCode: String(10000 + i),
            country: place.country,
            isDefault: a === 0,
          },
        },
        patient.token,
      );
    }
    for (let k = 0; k < 2; k++) {
      const doctor = doctors[(i * 2 + k) % doctors.length];
      const slots = await slotsOf(doctor, doctor.workplaceIds[0], 1 + k * 3, 3, patient.token);
      for (let t = 0; t < slots.length; t++) {
        const slot = slots[(i * 5 + t) % slots.length];
        const key = `${slot.workplaceId}@${slot.startsAt}`;
        if (taken.has(key)) continue;
        taken.add(key);
        const res = await gql(GW, BOOK, { input: { ...slot, notes: 'Bench appointment' } }, patient.token);
        if (res.errors) {
          if (res.errors[0].extensions?.code === 'CONFLICT') continue;
          throw new Error(`booking: ${JSON.stringify(res.errors)}`);
        }
        booked++;
        if ((i + k) % 2 === 0)
          await must(
            GW,
            `mutation($id: ID!) { confirmAppointment(id: $id) { id } }`,
            { id: res.data.bookAppointment.id },
            doctor.token,
          );
        break;
      }
    }
  });
  log(`  ${patients.length} patients with addresses, ${booked} upcoming appointments`);

  // Pharmacies: approved, two branches each, a catalogue with stock at both branches.
  const categoryIds: string[] = [];
  for (const name of ['Pain relief', 'Cold & flu', 'Vitamins', 'Allergy', 'Digestive health'])
    categoryIds.push(
      (await must(GW, `mutation($n: String!) { createCategory(name: $n) { id } }`, { n: name }, admin.token)).createCategory.id,
    );
  const pharmacies: World['pharmacies'] = [];
  for (const [p, owner] of owners.entries()) {
    const { upsertPharmacy } = await eventually(() =>
      must(
        GW,
        `mutation($input: PharmacyInput!) { upsertPharmacy(input: $input) { id } }`,
        {
          input: {
            name: `${LAST[p]} Pharmacy`,
            licenseNumber: `BENCH-PH-${p}`,
            address: `${p + 1} Market Square`,
            phone: `+2025550${p}00`,
            email: owner.email,
          },
        },
        owner.token,
      ),
    );
    await must(
      GW,
      `mutation($id: ID!) { reviewPharmacy(pharmacyId: $id, status: APPROVED) { id } }`,
      { id: upsertPharmacy.id },
      admin.token,
    );
    const branches: World['pharmacies'][number]['branches'] = [];
    for (let b = 0; b < 2; b++) {
      const city = CITIES[(p + b) % CITIES.length].city;
      const { addBranch } = await must(
        GW,
        `mutation($input: BranchInput!) { addBranch(input: $input) { id } }`,
        { input: { name: `${LAST[p]} ${city} ${b ? 'Central' : 'North'}`, address: `${20 + b} High Street`, city } },
        owner.token,
      );
      branches.push({ id: addBranch.id, city, itemIds: [] });
    }
    await pool(
      Array.from({ length: size.itemsPerPharmacy }, (_, k) => k),
      6,
      async (k) => {
        const rx = k % 10 === 9;
        const base = rx ? RX[k % RX.length] : MEDICINES[k % MEDICINES.length];
        const { createItem } = await must(
          GW,
          `mutation($input: ItemInput!) { createItem(input: $input) { id } }`,
          {
            input: {
              name: `${base} ${[100, 200, 250, 400, 500][(k + p) % 5]} mg ${FORMS[k % FORMS.length]} (${LAST[p]} ${k})`,
              categoryId: categoryIds[k % categoryIds.length],
              manufacturer: ['Pharco', 'Eva Pharma', 'GSK', 'Bayer'][k % 4],
              description: `${base} for everyday use.`,
              medicine: {
                dosage: '2 times a day',
                form: FORMS[k % FORMS.length],
                prescriptionRequired: rx,
                sideEffects: 'See leaflet',
              },
            },
          },
          owner.token,
        );
        for (const branch of branches) {
          await must(
            GW,
            `mutation($input: StockInput!) { setStock(input: $input) { available } }`,
            // Plenty of units: the load measures throughput, not sell-outs.
            {
              input: {
                branchId: branch.id,
                itemId: createItem.id,
                quantity: 1_000_000,
                price: `${2 + (k % 40)}.50`,
                minStockLevel: 5,
              },
            },
            owner.token,
          );
          if (!rx) branch.itemIds.push(createItem.id);
        }
      },
    );
    pharmacies.push({ ...owner, pharmacyId: upsertPharmacy.id, branches });
  }
  log(
    `  ${pharmacies.length} pharmacies, ${pharmacies.length * 2} branches, ${pharmacies.length * size.itemsPerPharmacy} items with stock`,
  );

  // Orders: about one per patient (the first few patients two).
  const world: World = {
    admin,
    patients,
    doctors,
    assistants,
    pharmacies,
    specializations: SPECIALTIES,
    cities: CITIES.map((c) => c.city),
    categoryIds,
    terms: ['paracetamol', 'ibuprofen', 'cetirizin', 'omeprazol', 'vitamin', 'zinc', 'loratadine', 'paracetmol'],
    freeSlots: [],
    openBookings: [],
    directoryCursors: [],
    users: [...patients, ...doctors, ...assistants, ...pharmacies],
  };
  let orders = 0;
  await pool(patients.concat(patients.slice(0, Math.ceil(patients.length * 0.2))), 6, async (patient, i) => {
    await must(GW, PLACE_ORDER, orderVariables(world, patient, i), patient.token);
    orders++;
  });
  log(`  ${orders} orders`);

  // What the load needs: free slots 8–14 days ahead, directory cursors.
  for (const doctor of doctors)
    for (const w of doctor.workplaceIds) world.freeSlots.push(...(await slotsOf(doctor, w, 8, 6, patients[0].token)));
  shuffle(world.freeSlots, rng(7));
  for (const filter of directoryFilters(world)) {
    const { doctors: page } = await must(GW, DIRECTORY, { first: 10, filter });
    if (page.pageInfo.hasNextPage) world.directoryCursors.push({ filter, cursor: page.pageInfo.endCursor });
  }
  log(`  ${world.freeSlots.length} free slots to book from; seeded in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  return world;
}

const orderVariables = (world: World, patient: Account, i: number) => {
  const pharmacy = world.pharmacies[i % world.pharmacies.length];
  const branch = pharmacy.branches[(i >> 1) % pharmacy.branches.length];
  const lines = 1 + (i % 2);
  return {
    input: {
      branchId: branch.id,
      items: Array.from({ length: lines }, (_, k) => ({
        itemId: branch.itemIds[(i * 3 + k * 7) % branch.itemIds.length],
        quantity: 1 + ((i + k) % 3),
      })),
    },
  };
};

function directoryFilters(world: World): Record<string, string>[] {
  return [
    {},
    ...world.specializations.map((specialization) => ({ specialization })),
    ...world.cities.map((city) => ({ city })),
    { search: 'Haddad' },
  ];
}

// ---------------------------------------------------------------------------- random

/** Small deterministic PRNG (mulberry32): the same mix and variables on every run. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const pick = <T>(r: () => number, list: T[]): T => list[Math.floor(r() * list.length)];
function shuffle<T>(list: T[], r: () => number): void {
  for (let i = list.length - 1; i > 0; i--) {
    const j = Math.floor(r() * (i + 1));
    [list[i], list[j]] = [list[j], list[i]];
  }
}

// ---------------------------------------------------------------------------- the mix

const DIRECTORY = `query Directory($first: Int, $after: String, $filter: DoctorFilter) {
  doctors(first: $first, after: $after, filter: $filter) {
    totalCount
    pageInfo { hasNextPage endCursor }
    nodes { id specialization user { name } workplaces { id name type timeZone consultationFee currency } }
  }
}`;

/** One request of the mix: the body, who sends it, and how to check the answer. */
export interface Request {
  query: string;
  variables: Record<string, unknown>;
  token?: string;
  /** True when the data has the expected shape. */
  check: (data: any) => boolean;
  /** Error codes that are a legitimate answer (counted apart, not as errors). */
  expected?: string[];
  /** Called with the data of a successful answer (state the mix keeps: open bookings, slots). */
  after?: (data: any) => void;
}

export interface Operation {
  name: string;
  /** Share of the mix (weights sum to 100). */
  weight: number;
  /** Page size argument, when the operation pages (statements must not depend on it). */
  pages?: [number, number];
  make: (world: World, r: () => number, first?: number) => Request;
}

const isList = (v: unknown, min = 0): v is any[] => Array.isArray(v) && v.length >= min;

/**
 * The fixed weighted mix: what a day of the apps looks like, reads dominating. Anonymous visitors
 * browse the directory and search the pharmacy catalogue; patients look at their profile,
 * appointments, slots and orders, book, cancel and order; doctors and assistants read their
 * agenda; pharmacies read their orders.
 */
export const OPERATIONS: Operation[] = [
  {
    name: 'me (addresses)',
    weight: 14,
    make: (w, r) => ({
      query: `query Me { me { id name email role addresses { id type street city country isDefault } } }`,
      variables: {},
      token: pick(r, w.users).token,
      check: (d) => Boolean(d.me?.id && isList(d.me.addresses)),
    }),
  },
  {
    name: 'myAppointments (patient)',
    weight: 12,
    pages: [2, 10],
    make: (w, r, first = 10) => ({
      query: `query MyAppointments($first: Int) {
        myAppointments(first: $first) {
          totalCount
          nodes { id startsAt status doctor { specialization user { name } } workplace { name timeZone } patient { name } }
        }
      }`,
      variables: { first },
      token: pick(r, w.patients).token,
      check: (d) =>
        isList(d.myAppointments?.nodes) &&
        d.myAppointments.nodes.every((n: any) => n.doctor?.user?.name && n.workplace?.name && n.patient?.name),
    }),
  },
  {
    name: 'myAppointments (doctor/assistant)',
    weight: 6,
    pages: [5, 20],
    make: (w, r, first = 20) => ({
      query: `query Agenda($first: Int, $from: DateTime) {
        myAppointments(first: $first, from: $from) {
          totalCount
          nodes { id startsAt endsAt status patient { name } workplace { name } }
        }
      }`,
      variables: { first, from: new Date(Date.now() - DAY).toISOString() },
      token: (r() < 0.6 ? pick(r, w.doctors) : pick(r, w.assistants)).token,
      check: (d) => isList(d.myAppointments?.nodes) && d.myAppointments.nodes.every((n: any) => n.patient?.name),
    }),
  },
  {
    name: 'directory page',
    weight: 16,
    pages: [10, 40],
    make: (w, r, first) => {
      // Half first pages with a filter (or none), half a second page through a cursor.
      const c = r() < 0.5 && w.directoryCursors.length ? pick(r, w.directoryCursors) : undefined;
      const filters = directoryFilters(w);
      return {
        query: DIRECTORY,
        variables: c
          ? { first: first ?? 10, after: c.cursor, filter: c.filter }
          : { first: first ?? 10, filter: pick(r, filters) },
        check: (d) => isList(d.doctors?.nodes) && d.doctors.nodes.every((n: any) => n.user?.name && isList(n.workplaces, 1)),
      };
    },
  },
  {
    name: 'doctor profile',
    weight: 4,
    make: (w, r) => ({
      query: `query Doctor($id: ID!) {
        doctor(id: $id) { id specialization biography user { name } workplaces { name type address { city } workingHours { day start end } } }
      }`,
      variables: { id: pick(r, w.doctors).doctorId },
      check: (d) => Boolean(d.doctor?.user?.name && isList(d.doctor.workplaces, 1)),
    }),
  },
  {
    name: 'availableSlots (week)',
    weight: 10,
    make: (w, r) => {
      const doctor = pick(r, w.doctors);
      const from = new Date(Date.now() + (1 + Math.floor(r() * 5)) * DAY);
      return {
        query: SLOTS,
        variables: {
          id: doctor.doctorId,
          w: pick(r, doctor.workplaceIds),
          from: from.toISOString(),
          to: new Date(from.getTime() + 7 * DAY).toISOString(),
        },
        token: pick(r, w.patients).token,
        check: (d) => isList(d.doctor?.availableSlots, 1),
      };
    },
  },
  {
    name: 'myOrders (items)',
    weight: 8,
    pages: [1, 5],
    make: (w, r, first = 10) => ({
      query: `query MyOrders($first: Int) {
        myOrders(first: $first) {
          totalCount
          nodes { id status totalAmount orderDate branch { name city } items { quantity unitPrice item { name } } }
        }
      }`,
      variables: { first },
      token: pick(r, w.patients.slice(0, Math.ceil(w.patients.length * 0.2))).token,
      check: (d) =>
        isList(d.myOrders?.nodes, 1) && d.myOrders.nodes.every((n: any) => isList(n.items, 1) && n.items[0].item?.name),
    }),
  },
  {
    name: 'pharmacyOrders',
    weight: 3,
    pages: [5, 20],
    make: (w, r, first = 20) => ({
      query: `query PharmacyOrders($first: Int) {
        pharmacyOrders(first: $first) { totalCount nodes { id status totalAmount patient { name } items { quantity item { name } } } }
      }`,
      variables: { first },
      token: pick(r, w.pharmacies).token,
      check: (d) => isList(d.pharmacyOrders?.nodes, 1) && d.pharmacyOrders.nodes.every((n: any) => n.patient?.name),
    }),
  },
  {
    name: 'pharmacy search',
    weight: 10,
    pages: [5, 20],
    make: (w, r, first = 10) => ({
      query: `query Search($q: String!, $city: String, $first: Int) {
        search(query: $q, city: $city, first: $first) {
          pharmacies { id name }
          products { price available item { id name medicine { form } } branch { name city } }
        }
      }`,
      variables: { q: pick(r, w.terms), city: r() < 0.5 ? pick(r, w.cities.slice(0, 3)) : null, first },
      check: (d) => isList(d.search?.products) && isList(d.search?.pharmacies),
    }),
  },
  {
    name: 'products by category',
    weight: 5,
    pages: [5, 20],
    make: (w, r, first = 20) => ({
      query: `query Products($c: ID, $first: Int) { products(categoryId: $c, first: $first) { totalCount nodes { id name manufacturer category { name } } } }`,
      variables: { c: pick(r, w.categoryIds), first },
      check: (d) => isList(d.products?.nodes, 1),
    }),
  },
  {
    name: 'bookAppointment',
    weight: 4,
    make: (w, r) => {
      const slot = w.freeSlots.pop();
      const patient = pick(r, w.patients);
      if (!slot) throw new Error('the mix ran out of free slots (raise the world size or lower BENCH_SECONDS)');
      return {
        query: BOOK,
        variables: { input: { ...slot, notes: 'Bench booking' } },
        token: patient.token,
        check: (d) => d.bookAppointment?.status === 'PENDING',
        // The patient may already be busy at that time, or hold the most upcoming appointments.
        expected: ['CONFLICT'],
        after: (d) => w.openBookings.push({ patient, id: d.bookAppointment.id, slot }),
      };
    },
  },
  {
    name: 'cancelAppointment',
    weight: 4,
    make: (w, r) => {
      const open = w.openBookings.shift();
      if (!open) return OPERATIONS.find((o) => o.name === 'bookAppointment')!.make(w, r);
      return {
        query: `mutation Cancel($id: ID!) { cancelAppointment(id: $id, reason: "Plans changed") { id status } }`,
        variables: { id: open.id },
        token: open.patient.token,
        check: (d) => d.cancelAppointment?.status === 'CANCELLED',
        after: () => w.freeSlots.unshift(open.slot),
      };
    },
  },
  {
    name: 'placeOrder',
    weight: 4,
    make: (w, r) => {
      const patient = pick(r, w.patients);
      return {
        query: PLACE_ORDER,
        variables: orderVariables(w, patient, Math.floor(r() * 1000)),
        token: patient.token,
        check: (d) => d.placeOrder?.id && isList(d.placeOrder.items, 1),
      };
    },
  },
];

export function pickOperation(r: () => number, operations: Operation[] = OPERATIONS): Operation {
  const total = operations.reduce((n, o) => n + o.weight, 0);
  let x = r() * total;
  for (const o of operations) if ((x -= o.weight) < 0) return o;
  return operations[operations.length - 1];
}

// ---------------------------------------------------------------------------- load

export interface OperationStats {
  requests: number;
  errors: number;
  expected: number;
  latencies: number[];
}
export interface MixResult {
  target: string;
  requests: number;
  seconds: number;
  rps: number;
  p50: number;
  p95: number;
  p99: number;
  errors: number;
  /** Answers with an expected error (a slot taken meanwhile). */
  expected: number;
  perOperation: Record<string, OperationStats>;
  /** The first few error messages (operation: code message). */
  samples: string[];
  latencies: number[];
}

/**
 * `connections` keep-alive connections send the mix back to back for `seconds`. Each request picks
 * an operation by weight and a user of the role it needs (its own token; anonymous visitors send
 * none); every answer is parsed and checked: an HTTP error, a GraphQL error other than an expected
 * one, or data of the wrong shape counts as an error.
 */
export async function runMix(
  target: string,
  url: string,
  world: World,
  options: { seconds: number; connections: number; seed?: number; operations?: Operation[] },
): Promise<MixResult> {
  const u = new URL(url);
  const perOperation: Record<string, OperationStats> = {};
  const all: number[] = [];
  const samples: string[] = [];
  let errors = 0;
  let expected = 0;
  const until = Date.now() + options.seconds * 1000;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: options.connections }, async (_, c) => {
      const client = new Client(u.origin, { pipelining: 1, keepAliveTimeout: 30_000 });
      const r = rng((options.seed ?? 1) * 1000 + c);
      try {
        while (Date.now() < until) {
          const op = pickOperation(r, options.operations);
          const req = op.make(world, r);
          const stats = (perOperation[op.name] ??= { requests: 0, errors: 0, expected: 0, latencies: [] });
          const t = performance.now();
          let failure: string | undefined;
          let isExpected = false;
          try {
            const res = await client.request({
              path: u.pathname,
              method: 'POST',
              headers: { 'content-type': 'application/json', ...(req.token ? { authorization: `Bearer ${req.token}` } : {}) },
              body: JSON.stringify({ query: req.query, variables: req.variables }),
            });
            const text = await res.body.text();
            if (res.statusCode !== 200) failure = `HTTP ${res.statusCode} ${text.slice(0, 200)}`;
            else {
              const body = JSON.parse(text) as GqlResult;
              if (body.errors?.length) {
                const code = body.errors[0].extensions?.code ?? '';
                if (req.expected?.includes(code)) isExpected = true;
                else failure = `${code} ${body.errors[0].message}`;
              } else if (!body.data || !req.check(body.data)) failure = `unexpected shape ${text.slice(0, 200)}`;
              else req.after?.(body.data);
            }
          } catch (error) {
            failure = `request failed: ${(error as Error).message}`;
          }
          const ms = performance.now() - t;
          stats.requests++;
          stats.latencies.push(ms);
          all.push(ms);
          if (isExpected) {
            stats.expected++;
            expected++;
          } else if (failure) {
            stats.errors++;
            errors++;
            if (samples.length < 10) samples.push(`${op.name}: ${failure}`);
          }
        }
      } finally {
        await client.close();
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  all.sort((a, b) => a - b);
  for (const s of Object.values(perOperation)) s.latencies.sort((a, b) => a - b);
  return {
    target,
    requests: all.length,
    seconds,
    rps: all.length / seconds,
    p50: percentile(all, 50),
    p95: percentile(all, 95),
    p99: percentile(all, 99),
    errors,
    expected,
    perOperation,
    samples,
    latencies: all,
  };
}

/** One result from several rounds against the same target. */
export function mergeMix(parts: MixResult[]): MixResult {
  const all = parts.flatMap((p) => p.latencies).sort((a, b) => a - b);
  const perOperation: Record<string, OperationStats> = {};
  for (const p of parts)
    for (const [name, s] of Object.entries(p.perOperation)) {
      const into = (perOperation[name] ??= { requests: 0, errors: 0, expected: 0, latencies: [] });
      into.requests += s.requests;
      into.errors += s.errors;
      into.expected += s.expected;
      into.latencies.push(...s.latencies);
    }
  for (const s of Object.values(perOperation)) s.latencies.sort((a, b) => a - b);
  const seconds = parts.reduce((n, p) => n + p.seconds, 0);
  return {
    target: parts[0].target,
    requests: all.length,
    seconds,
    rps: all.length / seconds,
    p50: percentile(all, 50),
    p95: percentile(all, 95),
    p99: percentile(all, 99),
    errors: parts.reduce((n, p) => n + p.errors, 0),
    expected: parts.reduce((n, p) => n + p.expected, 0),
    perOperation,
    samples: parts.flatMap((p) => p.samples).slice(0, 10),
    latencies: all,
  };
}
