// Scale-out on one machine (npm run test:scale; part of npm test): HAProxy in front of two gateways
// and two replicas of every subgraph, two notification workers, one PostgreSQL and Redis
// (tools/test/scale/cluster.ts). Proves the replicas keep no state of their own that matters:
// races decided by the database, events and revocations through Redis, a rolling restart under
// load without a failed request.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import pg from 'pg';
import WebSocket from 'ws';
import { createClient, type Client } from 'graphql-ws';
import { startFakeSmtp, type FakeSmtp } from '@hc/notification-subgraph/testing';
import { startCluster, SUBGRAPHS, usage, type Cluster, type Replica } from './cluster.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const PASSWORD = 'scale-Passw0rd!';
const PATIENTS = 20;
const STOCK = 5;

interface Result {
  status: number;
  data?: Record<string, any> | null;
  errors?: { message: string; extensions?: Record<string, any> }[];
}

async function gql(url: string, query: string, variables: Record<string, unknown> = {}, token?: string): Promise<Result> {
  const res = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query, variables }),
    signal: AbortSignal.timeout(60_000),
  });
  const body = (await res.json().catch(() => ({}))) as Omit<Result, 'status'>;
  return { status: res.status, ...body };
}

function must(r: Result): Record<string, any> {
  if (r.errors || !r.data) throw new Error(`HTTP ${r.status}: ${JSON.stringify(r.errors ?? r)}`);
  return r.data;
}

/** Retries while a step waits for an event another service has not consumed yet. */
async function eventually<T>(fn: () => Promise<T>, ms = 20_000): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    try {
      return await fn();
    } catch (error) {
      if (Date.now() > until) throw error;
      await sleep(250);
    }
  }
}

/** fn over items, at most `limit` at a time (sign-ups hash passwords: bounded CPU, still one burst of mail). */
async function pooled<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await fn(items[i]);
      }
    }),
  );
  return out;
}

const code = (r: Result) => r.errors?.[0]?.extensions?.code;

interface User {
  id: string;
  email: string;
  accessToken: string;
  refreshToken: string;
}

describe('scale-out: HAProxy, two gateways, two replicas of every subgraph, shared PostgreSQL and Redis', () => {
  let smtp: FakeSmtp;
  let cluster: Cluster;
  const db: Record<string, pg.Client> = {};
  let admin: string;
  let patients: User[] = [];
  let doctor: User & { doctorId: string; workplaceId: string };
  let owner: User;
  const clients: Client[] = [];

  const register = async (role: 'PATIENT' | 'DOCTOR' | 'PHARMACY', n: number, label: string) => {
    const email = `${label}.${n}.${cluster.redisPrefix.split(':').pop()}@scale.test`;
    must(
      await gql(cluster.url, `mutation($i: RegisterInput!) { register(input: $i) { otpChannel } }`, {
        i: { name: `${label} ${n}`, email, password: PASSWORD, role },
      }),
    );
    return email;
  };
  const verify = async (email: string): Promise<User> => {
    const mail = await eventually(async () => {
      const m = smtp.received.find((x) => x.to === email);
      if (!m) throw new Error(`no mail for ${email}`);
      return m;
    }, 60_000);
    const otp = /\b(\d{6})\b/.exec(mail.text)![1];
    const p = must(
      await gql(
        cluster.url,
        `mutation($e: String!, $c: String!) { verifyOtp(email: $e, code: $c) { accessToken refreshToken user { id } } }`,
        { e: email, c: otp },
      ),
    ).verifyOtp;
    return { id: p.user.id, email, accessToken: p.accessToken, refreshToken: p.refreshToken };
  };

  beforeAll(async () => {
    const t0 = Date.now();
    smtp = await startFakeSmtp();
    cluster = await startCluster({ smtpUrl: smtp.url, label: 'scale' });
    for (const s of ['doctor', 'pharmacy'] as const) {
      db[s] = new pg.Client({ connectionString: cluster.databases[s] });
      await db[s].connect();
    }
    process.stdout.write(`scale cluster up in ${((Date.now() - t0) / 1000).toFixed(1)} s (12 services + HAProxy)\n`);
  }, 300_000);

  afterAll(async () => {
    const trouble = cluster?.diagnose();
    if (trouble) process.stdout.write(`${trouble}\n`);
    await Promise.all(clients.map((c) => c.dispose()));
    for (const c of Object.values(db)) await c.end();
    await cluster?.stop();
    await smtp?.stop();
  }, 60_000);

  it('sends a burst of sign-up codes exactly once with two notification workers', async () => {
    const signUps = [
      ...Array.from({ length: PATIENTS }, (_, i) => ['PATIENT', i, 'patient'] as const),
      ['DOCTOR', 0, 'doctor'] as const,
      ['PHARMACY', 0, 'owner'] as const,
    ];
    const emails = await pooled(signUps, 6, ([role, n, label]) => register(role, n, label));
    const users = await pooled(emails, 6, verify);
    // Let a duplicate (a job run by both workers) arrive if there were one.
    await sleep(1_500);
    for (const e of emails) expect([e, smtp.received.filter((m) => m.to === e).length]).toEqual([e, 1]);
    patients = users.slice(0, PATIENTS);
    owner = users[PATIENTS + 1];
    const d = users[PATIENTS];

    cluster.createAdmin(`admin.${cluster.redisPrefix.split(':').pop()}@scale.test`, PASSWORD);
    admin = must(
      await gql(cluster.url, `mutation($e: String!, $p: String!) { login(email: $e, password: $p) { accessToken } }`, {
        e: `admin.${cluster.redisPrefix.split(':').pop()}@scale.test`,
        p: PASSWORD,
      }),
    ).login.accessToken;
    const profile = await eventually(async () =>
      must(
        await gql(
          cluster.url,
          `mutation { upsertDoctorProfile(input: { specialization: "Cardiology", licenseNumber: "LIC-SCALE-${d.id.slice(0, 8)}" }) { id } }`,
          {},
          d.accessToken,
        ),
      ),
    );
    const doctorId = profile.upsertDoctorProfile.id;
    must(
      await gql(
        cluster.url,
        `mutation($id: ID!) { reviewDoctor(doctorId: $id, status: APPROVED) { id } }`,
        { id: doctorId },
        admin,
      ),
    );
    const days = ['MONDAY', 'TUESDAY', 'WEDNESDAY', 'THURSDAY', 'FRIDAY', 'SATURDAY', 'SUNDAY'];
    const wp = must(
      await gql(
        cluster.url,
        `mutation($i: WorkplaceInput!) { createWorkplace(input: $i) { id } }`,
        {
          i: {
            name: 'Scale Clinic',
            type: 'CLINIC',
            timeZone: 'UTC',
            workingHours: days.map((day) => ({ day, start: '08:00', end: '18:00' })),
          },
        },
        d.accessToken,
      ),
    );
    doctor = { ...d, doctorId, workplaceId: wp.createWorkplace.id };
  }, 180_000);

  it('books a contested slot for exactly one of 20 patients, whichever replicas they reach', async () => {
    const startsAt = new Date(Date.UTC(new Date().getUTCFullYear() + 1, 2, 3, 10, 0)).toISOString();
    const results = await Promise.all(
      patients.map((p) =>
        eventually(async () => {
          const r = await gql(
            cluster.url,
            `mutation($i: BookAppointmentInput!) { bookAppointment(input: $i) { id } }`,
            { i: { workplaceId: doctor.workplaceId, startsAt } },
            p.accessToken,
          );
          // Only a patient the doctor subgraph has not heard of yet is retried; a lost race is an answer.
          if (r.errors && code(r) !== 'CONFLICT') throw new Error(JSON.stringify(r.errors));
          return r;
        }),
      ),
    );
    const won = results.filter((r) => r.data?.bookAppointment);
    expect(won).toHaveLength(1);
    expect(results.filter((r) => code(r) === 'CONFLICT')).toHaveLength(PATIENTS - 1);
    const { rows } = await db.doctor.query(`select count(*)::int as n from appointments where starts_at = $1`, [startsAt]);
    expect(rows[0].n).toBe(1);
  }, 60_000);

  it('sells exactly the stock (5) to 20 concurrent buyers', async () => {
    await eventually(async () =>
      must(
        await gql(
          cluster.url,
          `mutation { upsertPharmacy(input: { name: "Scale Pharmacy", licenseNumber: "SC-1", address: "1 St", phone: "+20100000000", email: "sc@example.com" }) { id } }`,
          {},
          owner.accessToken,
        ),
      ),
    );
    // New pharmacies wait for an admin's review; approve this one directly (the review flow has its own tests).
    await db.pharmacy.query(`update pharmacies set verification_status = 'APPROVED' where license_number = 'SC-1'`);
    const branchId = must(
      await gql(
        cluster.url,
        `mutation { addBranch(input: { name: "Main", address: "1 St", city: "Cairo" }) { id } }`,
        {},
        owner.accessToken,
      ),
    ).addBranch.id;
    const itemId = must(
      await gql(cluster.url, `mutation { createItem(input: { name: "Scale aspirin" }) { id } }`, {}, owner.accessToken),
    ).createItem.id;
    must(
      await gql(
        cluster.url,
        `mutation($i: StockInput!) { setStock(input: $i) { quantity } }`,
        { i: { branchId, itemId, quantity: STOCK, price: '2.00' } },
        owner.accessToken,
      ),
    );
    const results = await Promise.all(
      patients.map((p) =>
        gql(
          cluster.url,
          `mutation($i: PlaceOrderInput!) { placeOrder(input: $i) { id } }`,
          { i: { branchId, items: [{ itemId, quantity: 1 }] } },
          p.accessToken,
        ),
      ),
    );
    expect(results.filter((r) => r.data?.placeOrder)).toHaveLength(STOCK);
    expect(results.filter((r) => code(r) === 'CONFLICT')).toHaveLength(PATIENTS - STOCK);
    const { rows } = await db.pharmacy.query(`select quantity from stock_entries where branch_id = $1 and item_id = $2`, [
      branchId,
      itemId,
    ]);
    expect(rows).toEqual([{ quantity: 0 }]);
  }, 60_000);

  it('delivers to a subscriber on gateway 1 an event caused through gateway 2', async () => {
    const [g1, g2] = cluster.gateways;
    const received: any[] = [];
    const client = createClient({
      url: `${g1.url.replace(/^http/, 'ws')}/graphql`,
      webSocketImpl: WebSocket,
      connectionParams: { authorization: `Bearer ${doctor.accessToken}` },
      retryAttempts: 0,
    });
    clients.push(client);
    const connected = new Promise<void>((resolve) => client.on('connected', () => resolve()));
    client.subscribe(
      {
        query: `subscription($d: ID) { appointmentUpdated(doctorId: $d) { type appointment { id } } }`,
        variables: { d: doctor.doctorId },
      },
      { next: (v) => received.push(v), error: (e) => received.push({ error: e }), complete: () => undefined },
    );
    await connected;
    await sleep(300); // the subscribe message follows the ack
    const startsAt = new Date(Date.UTC(new Date().getUTCFullYear() + 1, 2, 4, 11, 0)).toISOString();
    const booked = must(
      await gql(
        g2.url,
        `mutation($i: BookAppointmentInput!) { bookAppointment(input: $i) { id } }`,
        { i: { workplaceId: doctor.workplaceId, startsAt } },
        patients[0].accessToken,
      ),
    ).bookAppointment;
    await eventually(async () => {
      if (!received.length) throw new Error('no event yet');
    }, 10_000);
    expect(received[0]).toEqual({ data: { appointmentUpdated: { type: 'BOOKED', appointment: { id: booked.id } } } });
  }, 30_000);

  it('honours token refresh (rotation, reuse detection) and revocation on every gateway replica', async () => {
    const [g1, g2] = cluster.gateways;
    const p = patients[1];
    const REFRESH = `mutation($t: String!) { refreshToken(refreshToken: $t) { accessToken refreshToken } }`;
    const rotated = must(await gql(g1.url, REFRESH, { t: p.refreshToken })).refreshToken;
    // The replaced token replayed on the other replica: refused, and its whole family with it.
    expect(code(await gql(g2.url, REFRESH, { t: p.refreshToken }))).toBe('UNAUTHENTICATED');
    expect(code(await gql(g1.url, REFRESH, { t: rotated.refreshToken }))).toBe('UNAUTHENTICATED');

    const login = must(
      await gql(cluster.url, `mutation($e: String!, $p: String!) { login(email: $e, password: $p) { accessToken } }`, {
        e: p.email,
        p: PASSWORD,
      }),
    ).login;
    for (const g of cluster.gateways)
      expect(must(await gql(g.url, `{ me { id } }`, {}, login.accessToken)).me).toEqual({ id: p.id });
    must(
      await gql(
        g2.url,
        `mutation($a: String!, $b: String!) { changePassword(currentPassword: $a, newPassword: $b) }`,
        { a: PASSWORD, b: `${PASSWORD}2` },
        login.accessToken,
      ),
    );
    // The access token issued before the password change is void on every replica at once.
    for (const g of cluster.gateways) {
      const r = await gql(g.url, `{ me { id } }`, {}, login.accessToken);
      expect([g.name, r.status, code(r)]).toEqual([g.name, 401, 'UNAUTHENTICATED']);
    }
  }, 30_000);

  it('measures the CPU each service spends per request (the capacity plan in docs/deployment.md)', async () => {
    // CPU time is what a replica runs out of; unlike requests per second on a shared machine, it
    // does not depend on what else the cores are doing. 300 requests of each kind, 6 at a time.
    const all: Replica[] = [...cluster.gateways, ...SUBGRAPHS.flatMap((s) => cluster.subgraphs[s])];
    const service = (r: Replica) => r.name.replace(/-\d+$/, '');
    const cpuBy = () => {
      const m = new Map<string, number>();
      for (const r of all) m.set(service(r), (m.get(service(r)) ?? 0) + usage(r.child!.pid!).cpuSeconds);
      return m;
    };
    const kinds = {
      'directory (anonymous, response cache on)': {
        query: `{ doctors(first: 10) { totalCount nodes { id specialization user { name } } } }`,
      },
      'signed-in me': { query: `{ me { id email name } }`, token: patients[3].accessToken },
    };
    const lines: string[] = [];
    for (const [label, k] of Object.entries(kinds)) {
      const before = cpuBy();
      let errors = 0;
      const t = performance.now();
      await pooled(Array.from({ length: 300 }), 6, async () => {
        const r = await gql(cluster.url, k.query, {}, 'token' in k ? k.token : undefined);
        if (r.status !== 200 || r.errors) errors++;
      });
      const seconds = (performance.now() - t) / 1000;
      const after = cpuBy();
      const perRequest = [...after].map(([name, cpu]) => [name, ((cpu - before.get(name)!) * 1000) / 300] as const);
      expect(errors).toBe(0);
      const gatewayMs = perRequest.find(([n]) => n === 'gateway')![1];
      expect(gatewayMs).toBeGreaterThan(0);
      lines.push(
        `  ${label}: ${(300 / seconds).toFixed(0)} req/s here; CPU ms per request: ` +
          perRequest.map(([n, ms]) => `${n} ${ms.toFixed(2)}`).join(', '),
      );
    }
    process.stdout.write(`CPU per request (sum over both replicas of each service, /proc utime+stime):\n${lines.join('\n')}\n`);
  }, 120_000);

  it('restarts every replica one by one under constant load without a failed request', async () => {
    // What each replica uses after the scenarios above (the figures docs/deployment.md sizes pods from).
    const all: Replica[] = [...cluster.gateways, ...SUBGRAPHS.flatMap((s) => cluster.subgraphs[s]), ...cluster.workers];
    const before = new Map(all.map((r) => [r.name, usage(r.child!.pid!)]));

    const signedIn = patients[2].accessToken;
    const DIRECTORY = `{ doctors(first: 10) { totalCount nodes { id specialization user { name } } } }`;
    const ME = `{ me { id email } }`;
    const outcome = { ok: 0, failed: 0, failures: [] as string[] };
    let running = true;
    const started = performance.now();
    // 6 clients back to back, half anonymous directory reads, half signed-in reads: bounded by
    // the restart sequence (and 280 s at most).
    const load = Promise.all(
      Array.from({ length: 6 }, async (_, worker) => {
        while (running && performance.now() - started < 280_000) {
          try {
            const r = await gql(cluster.url, worker % 2 ? ME : DIRECTORY, {}, worker % 2 ? signedIn : undefined);
            if (r.status === 200 && !r.errors && r.data) outcome.ok++;
            else {
              outcome.failed++;
              outcome.failures.push(`HTTP ${r.status} ${JSON.stringify(r.errors ?? r).slice(0, 200)}`);
            }
          } catch (error) {
            outcome.failed++;
            const cause = (error as { cause?: { code?: string; message?: string } }).cause;
            outcome.failures.push(
              `${String(error)} (${cause?.code ?? ''} ${cause?.message ?? ''}) at ${new Date().toISOString()}`,
            );
          }
        }
      }),
    );

    // As a Deployment rolls with maxUnavailable 1: the endpoint leaves the pool (preStop), SIGTERM,
    // the process drains and exits, the new one starts and joins when /ready says so.
    const roll = async (pool: string, r: Replica) => {
      await cluster.setState(pool, r.name, 'maint');
      await sleep(1_000);
      const t = performance.now();
      const exit = await r.stop();
      // Exit 0 from our handler, or SIGTERM re-raised by Apollo Server's own signal handler once
      // it has drained (it registers one outside NODE_ENV=test); SIGKILL would mean it hung.
      if (exit.code !== 0 && exit.signal !== 'SIGTERM') {
        throw new Error(`${r.name} did not shut down by itself (${JSON.stringify(exit)}):\n${r.output()}`);
      }
      shutdowns.push(performance.now() - t);
      await r.start();
      await cluster.setState(pool, r.name, 'ready');
    };
    const restarted: string[] = [];
    const shutdowns: number[] = [];
    try {
      // Replica 1 of every subgraph pool at once (each pool keeps its other replica), then replica 2,
      // then the gateways one by one (their /ready wants every subgraph pool answering).
      const rounds: [string, Replica][][] = [
        ...[0, 1].map((i) => SUBGRAPHS.map((s) => [s, cluster.subgraphs[s][i]] as [string, Replica])),
        ...cluster.gateways.map((g) => [['gateway', g] as [string, Replica]]),
      ];
      for (const round of rounds) {
        await Promise.all(round.map(([pool, r]) => roll(pool, r)));
        restarted.push(...round.map(([, r]) => r.name));
        await sleep(1_000); // every pool whole again before the next round
      }
    } finally {
      running = false;
      await load;
    }
    const seconds = (performance.now() - started) / 1000;

    const rows = all.map((r) => {
      const b = before.get(r.name)!;
      const now = usage(r.child!.pid!);
      return (
        `  ${r.name.padEnd(24)} RSS ${b.rssMiB.toFixed(0).padStart(4)} MiB, CPU ${b.cpuSeconds.toFixed(1).padStart(5)} s from start through the scenarios;` +
        ` ${now.rssMiB.toFixed(0).padStart(4)} MiB after a fresh start under load`
      );
    });
    process.stdout.write(
      `rolling restart of ${restarted.length} replicas (${restarted.join(', ')}) under load: ` +
        `${outcome.ok + outcome.failed} requests in ${seconds.toFixed(1)} s = ${((outcome.ok + outcome.failed) / seconds).toFixed(0)} req/s sustained, ` +
        `${outcome.failed} failed; SIGTERM to exit at most ${Math.max(...shutdowns).toFixed(0)} ms\n${rows.join('\n')}\n`,
    );
    expect(outcome.failures.slice(0, 5)).toEqual([]);
    expect(outcome.failed).toBe(0);
    expect(outcome.ok).toBeGreaterThan(100);
  }, 300_000);
});
