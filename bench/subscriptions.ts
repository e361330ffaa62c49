// npm run bench:subscriptions — appointmentUpdated fan-out at 1,000 WebSocket subscribers.
// Subgraphs and gateways run as child processes (NODE_ENV=production, response cache off) over
// fresh bench_subs_<run>_* databases; the graphql-ws clients run in this process. Two runs:
//   1. one gateway holds all sockets;  2. two gateways share them (and Redis pub/sub).
// Each run: 1,000 sockets spread over the visibility rules (the doctor, assistants of the workplace,
// the booking patients, other doctors who must receive nothing) and four selections, then one
// booking, then a burst of 50 events (bookings and cancellations through the gateway). Printed:
// delivery latency p50/p95/p99 from the mutation's start and from the publish (`occurredAt`),
// follow-up operations and subgraph requests per event, gateway RSS/heap per open subscription,
// and whether every expected subscriber got every event and nobody else anything.
// Env: BENCH_SOCKETS (1000), BENCH_BURST (50), DATABASE_SERVER_URL, REDIS_URL. Bounded: every wait
// has a deadline; 127.0.0.1 only.
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import WebSocket from 'ws';
import { createClient, type Client } from 'graphql-ws';
import { dropDatabase, ensureDatabase, withDatabase } from '@hc/db';
import { composeFromCode, createTestKeys, signTestToken } from '@hc/testing';
import { fmtMs, freePort, percentile, postJson, root, startService, type Service } from './harness.js';
import { subgraphs } from '../scripts/subgraphs.ts';

const SOCKETS = Number(process.env.BENCH_SOCKETS ?? 1000);
const BURST = Number(process.env.BENCH_BURST ?? 50);
const SERVER = process.env.DATABASE_SERVER_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const ASSISTANTS = 20;
const PATIENTS = 15;
const OTHER_DOCTORS = 10;
const P95_TARGET_MS = 250;
/** Which runs: "1" (one gateway), "2" (two gateways) or both (default). */
const RUNS = (process.env.BENCH_RUNS ?? '1,2').split(',').map(Number);
/** A directory: the first gateway writes a V8 CPU profile there on exit. */
const CPU_PROF = process.env.BENCH_CPU_PROF;

const SELECTIONS = [
  `subscription S0 { appointmentUpdated { type occurredAt } }`,
  `subscription S1 { appointmentUpdated { type occurredAt appointment { id status startsAt } } }`,
  `subscription S2 { appointmentUpdated { type occurredAt appointment { id status startsAt patient { name } } } }`,
  `subscription S3 { appointmentUpdated { type occurredAt appointment { id doctor { user { name } } workplace { name } } } }`,
];
/** Subgraph requests one follow-up of each selection makes (S0 none; S2, S3 doctor + auth). */
const REQUESTS_PER_SELECTION = [0, 1, 2, 2];
/** Visibility groups of one event: the doctor, the event's patient, the assistants (shared). */
const GROUPS = 3;

const SUBGRAPHS = ['auth', 'doctor', 'notification', 'pharmacy'] as const;
type Name = (typeof SUBGRAPHS)[number];
const url = (p: number, suffix = '/graphql') => `http://127.0.0.1:${p}${suffix}`;
const log = (line: string) => process.stdout.write(`${line}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const mark = (ok: boolean) => (ok ? '✔' : '✘');
const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(0)} MiB`;
const loadavg = () =>
  os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');

const services: Service[] = [];
const databases: string[] = [];
const clients: Client[] = [];
const files: string[] = [];
async function cleanup() {
  await Promise.all(clients.map((c) => c.dispose()));
  await Promise.all(services.reverse().map((s) => s.stop()));
  for (const db of databases) await dropDatabase(db).catch(() => undefined);
  for (const file of files) rmSync(file, { force: true });
}
process.on('SIGINT', () => void cleanup().then(() => process.exit(130)));

interface Sub {
  userId: string;
  selection: number;
  gateway: number;
  /** Every message: its payload and when it arrived (performance.now()). */
  received: { at: number; wall: number; payload: any }[];
  errors: unknown[];
}

async function metricsText(port: number, token: string): Promise<string> {
  return (await fetch(url(port, '/metrics'), { headers: { authorization: `Bearer ${token}` } })).text();
}
const sum = (text: string, name: string, match: (line: string) => boolean = () => true) =>
  text
    .split('\n')
    .filter((l) => (l.startsWith(`${name}{`) || l.startsWith(`${name} `)) && match(l))
    .reduce((n, l) => n + Number(l.slice(l.lastIndexOf(' ') + 1)), 0);

async function main() {
  const keys = createTestKeys();
  const runId = randomBytes(4).toString('hex');
  const metricsToken = randomBytes(16).toString('hex');
  const ports = {} as Record<Name | 'gw0' | 'gw1' | 'm0' | 'm1', number>;
  for (const n of [...SUBGRAPHS, 'gw0', 'gw1', 'm0', 'm1'] as const) ports[n] = await freePort();
  const common = {
    NODE_ENV: 'production',
    LOG_LEVEL: 'warn',
    HOST: '127.0.0.1',
    REDIS_URL,
    REDIS_PREFIX: `bench:${runId}`,
    JWT_ISSUER: keys.issuer,
    JWT_AUDIENCE: keys.audience,
    AUTH_JWKS_URL: url(ports.auth, '/.well-known/jwks.json'),
    METRICS_TOKEN: metricsToken,
    INTERNAL_SECRET: randomBytes(24).toString('hex'),
  };
  log(`load average at start: ${loadavg()} (${os.cpus().length} cores shared with other work; latencies are noisy)`);
  log(`bench: ${SOCKETS} sockets, 1 booking + a burst of ${BURST} events per run, Node ${process.version}`);

  const dbUrl = {} as Record<Name, string>;
  for (const name of SUBGRAPHS) {
    dbUrl[name] = withDatabase(SERVER, `bench_subs_${runId}_${name}`);
    await ensureDatabase(dbUrl[name]);
    databases.push(dbUrl[name]);
  }
  for (const name of SUBGRAPHS) {
    services.push(
      await startService(
        name,
        ['--import', './scripts/register.js', `subgraphs/${name}/src/main.ts`],
        {
          ...common,
          ...(name === 'auth' ? { JWT_PRIVATE_KEY_FILE: path.join(keys.dir, 'active.pem'), KEYS_DIR: keys.dir } : {}),
          ...(name === 'doctor' ? { DOCUMENTS_URL_SECRET: randomBytes(24).toString('hex') } : {}),
          ...(name === 'notification' ? { NODE_ENV: 'development', MAIL_CAPTURE_DIR: path.join(keys.dir, 'mail') } : {}),
          DATABASE_URL: dbUrl[name],
          DATABASE_POOL_MAX: '10',
          MIGRATE_ON_START: 'true',
          [`${name.toUpperCase()}_PORT`]: String(ports[name]),
        },
        url(ports[name], '/health'),
        url(ports[name]),
      ),
    );
  }
  const urls = Object.fromEntries(SUBGRAPHS.map((n) => [n, url(ports[n])])) as Record<Name, string>;
  const dir = path.join(root, 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  const supergraphPath = path.join(dir, `subscriptions-supergraph-${runId}.graphql`);
  writeFileSync(supergraphPath, await composeFromCode(subgraphs, urls));
  files.push(supergraphPath);
  const gatewayPorts = [ports.gw0, ports.gw1];
  for (const [i, port] of gatewayPorts.entries()) {
    services.push(
      await startService(
        `gateway${i}`,
        [
          ...(CPU_PROF && i === 0 ? ['--cpu-prof', `--cpu-prof-dir=${CPU_PROF}`] : []),
          '--import',
          './scripts/register.js',
          'gateway/src/main.ts',
        ],
        {
          ...common,
          GATEWAY_PORT: String(port),
          METRICS_PORT: String(i === 0 ? ports.m0 : ports.m1),
          SUPERGRAPH_PATH: supergraphPath,
          AUTH_URL: urls.auth,
          DOCTOR_URL: urls.doctor,
          NOTIFICATION_URL: urls.notification,
          PHARMACY_URL: urls.pharmacy,
          RATE_LIMIT_ENABLED: 'false',
          RESPONSE_CACHE: 'false',
          CACHE_REDIS_URL: REDIS_URL,
          // Hundreds of sockets per bench user (a real user has a handful).
          WS_MAX_SUBSCRIPTIONS_PER_USER: String(SOCKETS),
        },
        url(port, '/health'),
        url(port),
      ),
    );
  }
  const metricsPorts = [ports.m0, ports.m1];

  // Users: rows in auth and the doctor subgraph's read copy (no user.changed round trip needed).
  const authDb = new pg.Pool({ connectionString: dbUrl.auth });
  const doctorDb = new pg.Pool({ connectionString: dbUrl.doctor });
  const user = async (role: 'PATIENT' | 'DOCTOR' | 'ASSISTANT', name: string) => {
    const id = randomUUID();
    const email = `${role.toLowerCase()}.${id.slice(0, 8)}@bench.local`;
    await authDb.query(
      `insert into users (id, name, email, password_hash, role, is_verified) values ($1, $2, $3, 'x', $4, true)`,
      [id, name, email, role],
    );
    await doctorDb.query(`insert into user_copies (user_id, name, email, role, updated_at) values ($1, $2, $3, $4, now())`, [
      id,
      name,
      email,
      role,
    ]);
    return { id, name, email, token: signTestToken(keys, { id, role, email }, { expiresInSeconds: 3600 }) };
  };
  const gw = url(ports.gw0);
  const must = async (query: string, variables: Record<string, unknown>, token: string) => {
    const r = await postJson(gw, JSON.stringify({ query, variables }), { authorization: `Bearer ${token}` });
    if (r.errors || !r.data) throw new Error(JSON.stringify(r.errors));
    return r.data;
  };
  const doctor = await user('DOCTOR', 'Dr Bench');
  const profile = await must(
    `mutation { upsertDoctorProfile(input: { specialization: "Cardiology", licenseNumber: "LIC-BENCH-1" }) { id } }`,
    {},
    doctor.token,
  );
  await must(
    `mutation($id: ID!) { reviewDoctor(doctorId: $id, status: APPROVED) { id } }`,
    { id: profile.upsertDoctorProfile.id },
    signTestToken(keys, { role: 'ADMIN' }),
  );
  const days = ['MONDAY', 'TUESDAY', 'WEDNESDAY', 'THURSDAY', 'FRIDAY', 'SATURDAY', 'SUNDAY'];
  const wp = await must(
    `mutation($i: WorkplaceInput!) { createWorkplace(input: $i) { id } }`,
    {
      i: {
        name: 'Bench Clinic',
        type: 'CLINIC',
        timeZone: 'UTC',
        workingHours: days.map((day) => ({ day, start: '00:00', end: '23:30' })),
      },
    },
    doctor.token,
  );
  const workplaceId = wp.createWorkplace.id as string;
  const assistants = [];
  for (let i = 0; i < ASSISTANTS; i++) {
    const a = await user('ASSISTANT', `Assistant ${i}`);
    const invite = await must(
      `mutation($i: InviteAssistantInput!) { inviteAssistant(input: $i) { id } }`,
      { i: { assistantEmail: a.email, workplaceId } },
      doctor.token,
    );
    await must(
      `mutation($id: ID!) { respondToInvite(inviteId: $id, accept: true) { status } }`,
      { id: invite.inviteAssistant.id },
      a.token,
    );
    assistants.push(a);
  }
  const patients = await Promise.all(Array.from({ length: PATIENTS }, (_, i) => user('PATIENT', `Patient ${i}`)));
  const others = await Promise.all(Array.from({ length: OTHER_DOCTORS }, (_, i) => user('DOCTOR', `Other Doctor ${i}`)));
  await Promise.all([authDb.end(), doctorDb.end()]);

  // Socket shares: doctor 10 %, assistants 60 %, patients 10 %, other doctors 20 % (must get nothing).
  const plan: { userId: string; token: string }[] = [];
  const spread = (users: { id: string; token: string }[], count: number) => {
    for (let i = 0; i < count; i++) plan.push({ userId: users[i % users.length]!.id, token: users[i % users.length]!.token });
  };
  spread([doctor], Math.round(SOCKETS * 0.1));
  spread(assistants, Math.round(SOCKETS * 0.6));
  spread(patients, Math.round(SOCKETS * 0.1));
  spread(others, SOCKETS - plan.length);

  let slot = 0;
  const base = Date.UTC(new Date().getUTCFullYear() + 1, 0, 5, 0, 0);
  // 46 half-hour slots a day (00:00–23:30).
  const nextSlot = () => {
    const n = slot++;
    return new Date(base + Math.floor(n / 46) * 86_400_000 + (n % 46) * 30 * 60_000).toISOString();
  };
  const book = (patient: (typeof patients)[number]) =>
    must(
      `mutation Book($i: BookAppointmentInput!) { bookAppointment(input: $i) { id } }`,
      { i: { workplaceId, startsAt: nextSlot() } },
      patient.token,
    ).then((d) => d.bookAppointment.id as string);

  const targets: Record<string, boolean> = {};
  for (const gateways of RUNS) {
    log(`\n── run ${gateways}: ${SOCKETS} sockets on ${gateways} gateway process${gateways > 1 ? 'es' : ''} ──`);
    // Appointments to cancel in the burst, booked before anyone listens.
    const cancellations = Math.floor(BURST * 0.3);
    const toCancel: { id: string; patientId: string }[] = [];
    for (let i = 0; i < cancellations; i++) {
      const p = patients[i % PATIENTS]!;
      toCancel.push({ id: await book(p), patientId: p.id });
    }
    await sleep(300);

    const memBefore = await Promise.all(metricsPorts.map((p) => metricsText(p, metricsToken)));
    const subs: Sub[] = [];
    const perUser = new Map<string, number>();
    let notConnected = 0;
    // In batches, each acknowledged before the next: on a loaded machine a flood of handshakes would
    // outrun graphql-ws's connection_init timeout (4408), which measures the machine, not the fan-out.
    const BATCH = 50;
    for (let from = 0; from < plan.length; from += BATCH) {
      const batch = plan.slice(from, from + BATCH).map((p, j) => {
        const i = from + j;
        const n = perUser.get(p.userId) ?? 0;
        perUser.set(p.userId, n + 1);
        const sub: Sub = { userId: p.userId, selection: n % SELECTIONS.length, gateway: i % gateways, received: [], errors: [] };
        subs.push(sub);
        const client = createClient({
          url: url(gatewayPorts[sub.gateway]!, '/graphql').replace(/^http/, 'ws'),
          webSocketImpl: WebSocket,
          connectionParams: { authorization: `Bearer ${p.token}` },
          retryAttempts: 0,
          lazy: false,
          onNonLazyError: () => undefined, // counted through the subscription's error sink
        });
        clients.push(client);
        const connected = new Promise<boolean>((resolve) => {
          client.on('connected', () => resolve(true));
          client.on('closed', () => resolve(false));
        });
        client.subscribe(
          { query: SELECTIONS[sub.selection]! },
          {
            next: (payload) => sub.received.push({ at: performance.now(), wall: Date.now(), payload }),
            error: (e) => sub.errors.push(e),
            complete: () => undefined,
          },
        );
        return connected;
      });
      const acks = await Promise.race([Promise.all(batch), sleep(20_000).then(() => [] as boolean[])]);
      notConnected += batch.length - acks.filter(Boolean).length;
    }
    if (notConnected) log(`✘ ${notConnected} sockets were not acknowledged`);
    await sleep(1_000); // subscribe messages follow the acks
    const memAfter = await Promise.all(metricsPorts.map((p) => metricsText(p, metricsToken)));
    let rssDelta = 0;
    let heapDelta = 0;
    for (let g = 0; g < gateways; g++) {
      rssDelta += sum(memAfter[g]!, 'process_resident_memory_bytes') - sum(memBefore[g]!, 'process_resident_memory_bytes');
      heapDelta += sum(memAfter[g]!, 'nodejs_heap_size_used_bytes') - sum(memBefore[g]!, 'nodejs_heap_size_used_bytes');
    }
    log(
      `gateway memory per open subscription: RSS ${(rssDelta / SOCKETS / 1024).toFixed(1)} KiB, heap ${(heapDelta / SOCKETS / 1024).toFixed(1)} KiB ` +
        `(delta from before the sockets to ${SOCKETS} open, summed over ${gateways} process${gateways > 1 ? 'es' : ''}, no forced GC)`,
    );

    const subgraphMetrics = async () => {
      const [doctorText, authText] = await Promise.all([
        metricsText(ports.doctor, metricsToken),
        metricsText(ports.auth, metricsToken),
      ]);
      const followUp = (l: string) => l.includes('operation="AppointmentUpdated__');
      return {
        operations: sum(doctorText, 'graphql_requests_total', followUp),
        requests: sum(doctorText, 'graphql_requests_total', followUp) + sum(authText, 'graphql_requests_total', followUp),
      };
    };
    const cpu = async () => {
      const texts = await Promise.all(metricsPorts.slice(0, gateways).map((p) => metricsText(p, metricsToken)));
      return {
        user: texts.reduce((n, t) => n + sum(t, 'process_cpu_user_seconds_total'), 0),
        system: texts.reduce((n, t) => n + sum(t, 'process_cpu_system_seconds_total'), 0),
      };
    };
    const before = await subgraphMetrics();
    const cpuBefore = await cpu();
    const benchCpuBefore = process.cpuUsage();

    // The events: one booking, then the burst (bookings and cancellations, 10 in flight).
    interface Sent {
      key: string;
      patientId: string;
      started: number;
      /** The mutation's own round trip (ms). */
      took: number;
    }
    const sent: Sent[] = [];
    const first = patients[0]!;
    const t0 = performance.now();
    const firstId = await book(first);
    sent.push({ key: `BOOKED:${firstId}`, patientId: first.id, started: t0, took: performance.now() - t0 });
    await sleep(1_000);
    const jobs: (() => Promise<void>)[] = [];
    for (let i = 0; i < BURST; i++) {
      if (i % 3 === 1 && toCancel.length) {
        const c = toCancel.shift()!;
        const p = patients.find((x) => x.id === c.patientId)!;
        jobs.push(async () => {
          const started = performance.now();
          await must(`mutation Cancel($id: ID!) { cancelAppointment(id: $id, reason: "bench") { id } }`, { id: c.id }, p.token);
          sent.push({ key: `CANCELLED:${c.id}`, patientId: p.id, started, took: performance.now() - started });
        });
      } else {
        const p = patients[i % PATIENTS]!;
        jobs.push(async () => {
          const started = performance.now();
          const id = await book(p);
          sent.push({ key: `BOOKED:${id}`, patientId: p.id, started, took: performance.now() - started });
        });
      }
    }
    await Promise.all(
      Array.from({ length: 10 }, async () => {
        for (let job = jobs.shift(); job; job = jobs.shift()) await job();
      }),
    );

    // Expected deliveries: every event to the doctor's, the assistants' and its patient's sockets.
    const staff = new Set<string>([doctor.id, ...assistants.map((a) => a.id)]);
    const expectedFor = (s: Sub) => sent.filter((e) => staff.has(s.userId) || e.patientId === s.userId).length;
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline && subs.some((s) => s.received.length < expectedFor(s))) await sleep(100);
    await sleep(500); // anything unexpected has had time to arrive
    const after = await subgraphMetrics();
    const cpuAfter = await cpu();
    const gatewayUserMs = (cpuAfter.user - cpuBefore.user) * 1000;
    const gatewaySystemMs = (cpuAfter.system - cpuBefore.system) * 1000;
    const gatewayCpuMs = gatewayUserMs + gatewaySystemMs;
    const benchCpu = process.cpuUsage(benchCpuBefore);

    // Event identity: the appointment id where selected; S0 (type occurredAt) via occurredAt.
    const byOccurred = new Map<string, string>();
    for (const s of subs)
      for (const r of s.received) {
        const e = r.payload.data?.appointmentUpdated;
        if (e?.appointment?.id) byOccurred.set(`${e.type}:${e.occurredAt}`, `${e.type}:${e.appointment.id}`);
      }
    const started = new Map(sent.map((e) => [e.key, e.started]));
    const fromMutation: number[] = [];
    const fromPublish: number[] = [];
    // The first booking alone (before the burst): what one event costs at 1,000 sockets.
    const firstKey = sent[0]!.key;
    const singleFromMutation: number[] = [];
    const singleFromPublish: number[] = [];
    let missing = 0;
    let leaks = 0;
    let duplicates = 0;
    let errors = 0;
    for (const s of subs) {
      const expected = new Set(sent.filter((e) => staff.has(s.userId) || e.patientId === s.userId).map((e) => e.key));
      const seen = new Set<string>();
      for (const r of s.received) {
        const e = r.payload.data?.appointmentUpdated;
        if (r.payload.errors) errors++;
        const key = e?.appointment?.id ? `${e.type}:${e.appointment.id}` : byOccurred.get(`${e?.type}:${e?.occurredAt}`);
        if (!key || !expected.has(key)) {
          leaks++;
          continue;
        }
        if (seen.has(key)) duplicates++;
        seen.add(key);
        fromMutation.push(r.at - started.get(key)!);
        fromPublish.push(r.wall - Date.parse(e.occurredAt));
        if (key === firstKey) {
          singleFromMutation.push(r.at - started.get(key)!);
          singleFromPublish.push(r.wall - Date.parse(e.occurredAt));
        }
      }
      missing += [...expected].filter((k) => !seen.has(k)).length;
      errors += s.errors.length;
    }
    for (const xs of [fromMutation, fromPublish, singleFromMutation, singleFromPublish]) xs.sort((a, b) => a - b);
    const events = sent.length;
    const expectedTotal = subs.reduce((n, s) => n + expectedFor(s), 0);
    // What the per-socket design fetched: one operation per delivery of a selection with `appointment`.
    const perSocketOps = subs.reduce((n, s) => n + (s.selection > 0 ? expectedFor(s) : 0), 0);
    const perSocketRequests = subs.reduce((n, s) => n + REQUESTS_PER_SELECTION[s.selection]! * expectedFor(s), 0);
    const stats = (xs: number[]) =>
      `p50 ${fmtMs(percentile(xs, 50))}, p95 ${fmtMs(percentile(xs, 95))}, p99 ${fmtMs(percentile(xs, 99))}`;
    log(`events: ${events}; deliveries expected ${expectedTotal}, received ${fromMutation.length} (load average ${loadavg()})`);
    log(
      `one booking alone (${singleFromMutation.length} deliveries): from the mutation's start ${stats(singleFromMutation)}; from the publish ${stats(singleFromPublish)}`,
    );
    log(`all ${events} events (burst included), from the mutation's start: ${stats(fromMutation)}`);
    log(`all ${events} events (burst included), from the publish (occurredAt): ${stats(fromPublish)}`);
    const opsPerEvent = (after.operations - before.operations) / events;
    const reqPerEvent = (after.requests - before.requests) / events;
    const opsBound = (SELECTIONS.length - 1) * GROUPS * gateways;
    const reqBound = REQUESTS_PER_SELECTION.reduce((a, b) => a + b, 0) * GROUPS * gateways;
    log(
      `follow-up operations per event (doctor subgraph): ${opsPerEvent.toFixed(1)} (bound: ${SELECTIONS.length - 1} fetching selections × ${GROUPS} groups × ${gateways} gateway${gateways > 1 ? 's' : ''} = ${opsBound}; ` +
        `one per socket: ${(perSocketOps / events).toFixed(1)})`,
    );
    log(
      `subgraph requests per event (doctor + auth): ${reqPerEvent.toFixed(1)} (bound ${reqBound}; one fetch per socket: ${(perSocketRequests / events).toFixed(1)})`,
    );
    const took = sent.map((e) => e.took).sort((a, b) => a - b);
    log(`the mutations themselves (10 in flight): ${stats(took)}`);
    log(
      `gateway CPU: ${(gatewayCpuMs / events).toFixed(1)} ms per event, ${((gatewayCpuMs / expectedTotal) * 1000).toFixed(0)} µs per delivery ` +
        `(user ${(gatewayUserMs / events).toFixed(1)}, system ${(gatewaySystemMs / events).toFixed(1)}; mutations included); this bench process (1,000 clients): ${((benchCpu.user + benchCpu.system) / 1000 / events).toFixed(1)} ms per event`,
    );
    const p95 = percentile(fromMutation, 95);
    const label = `${gateways} gateway${gateways > 1 ? 's' : ''}`;
    targets[`requests/event ≤ selections × groups (${label}): ${reqPerEvent.toFixed(1)} ≤ ${reqBound}`] = reqPerEvent <= reqBound;
    targets[`p95 from the mutation < ${P95_TARGET_MS} ms at ${SOCKETS} sockets, burst included (${label}): ${fmtMs(p95)}`] =
      p95 < P95_TARGET_MS;
    const singleP95 = percentile(singleFromMutation, 95);
    targets[
      `p95 from the mutation < ${P95_TARGET_MS} ms at ${SOCKETS} sockets, one booking alone (${label}): ${fmtMs(singleP95)}`
    ] = singleP95 < P95_TARGET_MS;
    targets[
      `every expected subscriber got every event (${label}): ${missing} missing, ${duplicates} duplicates, ${errors} errors, ${notConnected} not connected`
    ] = missing === 0 && duplicates === 0 && errors === 0 && notConnected === 0;
    targets[`0 leaks: nothing to anyone else (${label}): ${leaks}`] = leaks === 0;

    await Promise.all(clients.splice(0).map((c) => c.dispose()));
    await sleep(500);
  }

  // RSS of every process this bench started (and its own), at the end.
  const rss: string[] = [];
  for (const name of SUBGRAPHS)
    rss.push(`${name} ${mib(sum(await metricsText(ports[name], metricsToken), 'process_resident_memory_bytes'))}`);
  for (const [i, p] of metricsPorts.entries())
    rss.push(`gateway${i} ${mib(sum(await metricsText(p, metricsToken), 'process_resident_memory_bytes'))}`);
  rss.push(`bench (clients) ${mib(process.memoryUsage().rss)}`);
  log(`\nRSS at the end: ${rss.join(', ')}`);
  log('\ntargets:');
  for (const [line, ok] of Object.entries(targets)) log(`  ${mark(ok)} ${line}`);
  log(`load average at the end: ${loadavg()}`);
  if (Object.values(targets).some((ok) => !ok)) process.exitCode = 1;
}

try {
  await main();
} finally {
  await cleanup();
}
