import { randomUUID } from 'node:crypto';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import bcrypt from 'bcrypt';
import { DateTime } from 'luxon';
import { startPrivateRedis, startSupergraph, type GraphQLResponse, type PrivateRedis, type TestSupergraph } from '@hc/testing';
import { post } from './support.js';
import { supergraph } from '../../scripts/subgraphs.ts';

// The whole system over a redis-server of this test's own, which the test stops and starts
// (never the shared one). Revocations are polled every second while pub/sub is down.
const POLL_SECONDS = 1;
const ME = '{ me { id } }';
const DOCTORS = '{ doctors(first: 3) { totalCount } }';
const BOOK = `mutation($i: BookAppointmentInput!) { bookAppointment(input: $i) { id status } }`;
const ORDER = `mutation($i: PlaceOrderInput!) { placeOrder(input: $i) { id status } }`;
const PHARMACIES = '{ pharmacies(first: 1) { totalCount } }';

type Result = GraphQLResponse<Record<string, any>>;
const codes = (res: Result) => (res.errors ?? []).map((e) => e.extensions?.code);
const ok = (res: Result) => {
  if (res.errors) throw new Error(JSON.stringify(res.errors));
  return res.data!;
};

describe('dependency outages: Redis stopped, a subgraph stopped', () => {
  let redis: PrivateRedis;
  let sg: TestSupergraph;
  const password = 'correct horse battery';

  /** A user as auth, doctor and notification know it after user.changed: rows written directly. */
  async function seedUser(role: 'PATIENT' | 'DOCTOR' | 'PHARMACY') {
    const id = randomUUID();
    const email = `${role.toLowerCase()}.${id.slice(0, 8)}@example.com`;
    const name = `${role.toLowerCase()} ${id.slice(0, 4)}`;
    await sg.subgraphs.auth.orm.em
      .getConnection()
      .execute(`insert into users (id, name, email, password_hash, role, is_verified) values (?, ?, ?, ?, ?, true)`, [
        id,
        name,
        email,
        await bcrypt.hash(password, 10),
        role,
      ]);
    await sg.subgraphs.doctor.orm.em
      .getConnection()
      .execute(`insert into user_copies (user_id, name, email, role, updated_at) values (?, ?, ?, ?, now())`, [
        id,
        name,
        email,
        role,
      ]);
    await sg.subgraphs.notification.orm.em
      .getConnection()
      .execute(`insert into contacts (user_id, name, email, role, updated_at) values (?, ?, ?, ?, now())`, [
        id,
        name,
        email,
        role,
      ]);
    return { id, email, token: sg.tokenFor({ id, role, email }) };
  }

  beforeAll(async () => {
    redis = await startPrivateRedis();
    sg = await startSupergraph(supergraph, { env: { REDIS_URL: redis.url, REVOCATION_POLL_SECONDS: String(POLL_SECONDS) } });
  }, 120_000);
  afterAll(async () => {
    await sg?.stop().catch(() => undefined);
    await redis?.stop();
  });

  it('Redis stopped for 10 s: no UNAUTHENTICATED, reads, bookings and orders succeed, booking notices arrive once each after it returns', async () => {
    const admin = sg.tokenFor({ role: 'ADMIN' });
    const patient = await seedUser('PATIENT');
    const doctor = await seedUser('DOCTOR');
    const profile = ok(
      await sg.query(
        `mutation($i: DoctorProfileInput!) { upsertDoctorProfile(input: $i) { id } }`,
        { i: { specialization: 'Cardiology', licenseNumber: `LIC-${doctor.id.slice(0, 12)}` } },
        doctor.token,
      ),
    );
    ok(
      await sg.query(
        `mutation($id: ID!) { reviewDoctor(doctorId: $id, status: APPROVED) { verificationStatus } }`,
        { id: profile.upsertDoctorProfile.id },
        admin,
      ),
    );
    const days = ['MONDAY', 'TUESDAY', 'WEDNESDAY', 'THURSDAY', 'FRIDAY', 'SATURDAY', 'SUNDAY'];
    const workplaceId = ok(
      await sg.query(
        `mutation($i: WorkplaceInput!) { createWorkplace(input: $i) { id } }`,
        {
          i: {
            name: 'Main clinic',
            type: 'CLINIC',
            timeZone: 'UTC',
            workingHours: days.map((day) => ({ day, start: '09:00', end: '17:00' })),
            slotDurationMinutes: 30,
            consultationFee: '250.00',
            currency: 'EGP',
            address: { type: 'CLINIC', street: '1 Nile St', city: 'Cairo', country: 'Egypt' },
          },
        },
        doctor.token,
      ),
    ).createWorkplace.id as string;
    const owner = await seedUser('PHARMACY');
    const tag = owner.id.slice(0, 8);
    const pharmacyId = ok(
      await sg.query(
        `mutation($i: PharmacyInput!) { upsertPharmacy(input: $i) { id } }`,
        {
          i: {
            name: `Pharmacy ${tag}`,
            licenseNumber: `PL-${tag}`,
            address: '1 Main St',
            phone: '+201000000000',
            email: `p${tag}@example.com`,
          },
        },
        owner.token,
      ),
    ).upsertPharmacy.id;
    ok(
      await sg.query(
        `mutation($id: ID!) { reviewPharmacy(pharmacyId: $id, status: APPROVED) { id } }`,
        { id: pharmacyId },
        admin,
      ),
    );
    const branchId = ok(
      await sg.query(
        `mutation($i: BranchInput!) { addBranch(input: $i) { id } }`,
        { i: { name: 'B', address: '2 St', city: 'Cairo' } },
        owner.token,
      ),
    ).addBranch.id;
    const itemId = ok(
      await sg.query(`mutation($i: ItemInput!) { createItem(input: $i) { id } }`, { i: { name: `Item ${tag}` } }, owner.token),
    ).createItem.id;
    ok(
      await sg.query(
        `mutation($i: StockInput!) { setStock(input: $i) { quantity } }`,
        { i: { branchId, itemId, quantity: 100, price: '10.00' } },
        owner.token,
      ),
    );

    await redis.stop();
    const results: { op: string; res: Result }[] = [];
    const bookings: string[] = [];
    const outageStarted = Date.now();
    const until = outageStarted + 10_000;
    let slot = 0;
    const slow: { op: string; ms: number }[] = [];
    const timed = async (op: string, run: () => Promise<Result>) => {
      const t = Date.now();
      const res = await run();
      results.push({ op, res });
      if (Date.now() - t > 500) slow.push({ op, ms: Date.now() - t });
      return res;
    };
    while (Date.now() < until || slot < 4) {
      await timed('me', () => sg.query(ME, {}, patient.token));
      await timed('doctors', () => sg.query(DOCTORS, {}, patient.token));
      if (slot < 4) {
        const startsAt = DateTime.utc()
          .plus({ days: 7 + slot })
          .set({ hour: 10, minute: 0, second: 0, millisecond: 0 })
          .toISO();
        const booked = await timed('book', () => sg.query(BOOK, { i: { workplaceId, startsAt } }, patient.token));
        if (booked.data?.bookAppointment) bookings.push(booked.data.bookAppointment.id);
        await timed('order', () => sg.query(ORDER, { i: { branchId, items: [{ itemId, quantity: 1 }] } }, patient.token));
        slot++;
      }
      await new Promise((r) => setTimeout(r, 200));
    }
    // Readiness tells the truth meanwhile: the gateway names its Redis; liveness stays up.
    const ready = await fetch(`${sg.gatewayUrl}/ready`);
    const readyBody = (await ready.json()) as { checks: Record<string, string> };
    expect(ready.status).toBe(503);
    expect(readyBody.checks.redis).toMatch(/^failing/);
    expect(readyBody.checks.revocations).toBe('ok');
    expect((await fetch(`${sg.gatewayUrl}/health`)).status).toBe(200);
    await redis.start();

    const unauthenticated = results.filter((r) => codes(r.res).includes('UNAUTHENTICATED') || r.res.status === 401);
    expect(unauthenticated).toEqual([]);
    const failed = results.filter((r) => r.res.errors);
    expect(failed.map((r) => ({ op: r.op, errors: r.res.errors }))).toEqual([]);
    expect(Date.now() - outageStarted).toBeGreaterThanOrEqual(10_000);
    // Slow answers during the outage, for the log (Redis commands waiting for their retries).
    if (slow.length) console.info('slow during the outage', slow);
    expect(bookings).toHaveLength(4);
    expect(results.filter((r) => r.op === 'order' && r.res.data?.placeOrder?.id)).toHaveLength(4);

    // The booking notices waited in doctor's outbox; after Redis returns, the relay publishes
    // them and the worker sends each once (one captured email per notification).
    const notification = sg.subgraphs.notification.orm.em.getConnection();
    const sent = async () =>
      notification.execute<{ id: string; idempotency_key: string; status: string }[]>(
        `select id, idempotency_key, status from notifications where idempotency_key like 'appointment:%:booked:%' and idempotency_key similar to ?`,
        [`%(${bookings.join('|')})%`],
      );
    const deadline = Date.now() + 60_000;
    let rows = await sent();
    while (rows.filter((r) => r.status === 'SENT').length < bookings.length * 2 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 500));
      rows = await sent();
    }
    expect(rows.filter((r) => r.status === 'SENT')).toHaveLength(bookings.length * 2);
    for (const id of bookings) {
      const forBooking = rows.filter((r) => r.idempotency_key.includes(id)).map((r) => r.idempotency_key);
      expect(forBooking).toHaveLength(2);
      expect(forBooking.some((k) => k.endsWith(patient.id))).toBe(true);
      expect(forBooking.some((k) => k.endsWith(doctor.id))).toBe(true);
    }
    await new Promise((r) => setTimeout(r, 2_000));
    const mailDir = path.join(sg.keys.dir, 'mail');
    const captured = readdirSync(mailDir).filter((f) => f.endsWith('.eml'));
    for (const row of rows) expect(captured.filter((f) => f.includes(row.id))).toHaveLength(1);
  }, 150_000);

  it('password change before and during an outage: the old token is refused at the gateway and at a subgraph called directly', async () => {
    const gatewayRefuses = async (token: string) => {
      const res = await sg.query(ME, {}, token);
      return res.status === 401 && codes(res).includes('UNAUTHENTICATED');
    };
    const doctorRefuses = async (token: string) =>
      (await post(sg.subgraphs.doctor.graphqlUrl, { query: '{ __typename }' }, { authorization: `Bearer ${token}` })).status ===
      401;
    const login = async (email: string, pw: string) =>
      ok(
        await sg.query(`mutation($e: String!, $p: String!) { login(email: $e, password: $p) { accessToken } }`, {
          e: email,
          p: pw,
        }),
      ).login.accessToken as string;
    const change = (token: string, from: string, to: string) =>
      sg.query(
        `mutation($a: String!, $b: String!) { changePassword(currentPassword: $a, newPassword: $b) }`,
        { a: from, b: to },
        token,
      );

    // (1) Changed while Redis is up, then Redis goes down: still refused (the state is in memory).
    const first = await seedUser('PATIENT');
    const firstToken = await login(first.email, password);
    // A token issued in the same second as the marker would still pass: let the clock move on.
    await new Promise((r) => setTimeout(r, 1_100));
    expect(ok(await change(firstToken, password, 'brand new password 1')).changePassword).toBe(true);
    // (2) A second user signed in before the outage changes their password during it.
    const second = await seedUser('PATIENT');
    const secondToken = await login(second.email, password);
    await new Promise((r) => setTimeout(r, 1_100));

    await redis.stop();
    try {
      expect(await gatewayRefuses(firstToken)).toBe(true);
      expect(await doctorRefuses(firstToken)).toBe(true);
      expect(ok(await sg.query(ME, {}, secondToken)).me).toEqual({ id: second.id });

      const changed = await change(secondToken, password, 'brand new password 2');
      expect(changed.errors).toBeUndefined();
      // No pub/sub: every process learns it from auth's database within the poll bound.
      const started = Date.now();
      while (!((await gatewayRefuses(secondToken)) && (await doctorRefuses(secondToken)))) {
        expect(Date.now() - started).toBeLessThan((POLL_SECONDS + 3) * 1000);
        await new Promise((r) => setTimeout(r, 100));
      }
      // An operation that needs Redis (auth's register limiter) says "try again", not a masked 500.
      const register = await sg.query(`mutation($i: RegisterInput!) { register(input: $i) { otpChannel } }`, {
        i: { name: 'Late', email: `late.${randomUUID().slice(0, 8)}@example.com`, password, role: 'PATIENT' },
      });
      // auth's limiter answers for register (its own retry hint); never a masked 500 or a 401.
      expect(register.errors?.map((e) => e.extensions?.code)).toEqual(['SERVICE_UNAVAILABLE']);
      expect(Number(register.errors?.[0]?.extensions?.retryAfterSeconds)).toBeGreaterThan(0);
      // Other users' tokens keep working through the outage.
      const bystander = await seedUser('PATIENT');
      expect(ok(await sg.query(ME, {}, bystander.token)).me).toEqual({ id: bystander.id });
    } finally {
      await redis.start();
    }
  }, 60_000);

  it('a subgraph stopped: /ready names it (503), its fields answer SERVICE_UNAVAILABLE, the others keep working', async () => {
    const patient = await seedUser('PATIENT');
    // Redis is back from the previous test: wait until everything is ready again.
    const readyBy = Date.now() + 20_000;
    while ((await fetch(`${sg.gatewayUrl}/ready`)).status !== 200) {
      expect(Date.now()).toBeLessThan(readyBy);
      await new Promise((r) => setTimeout(r, 250));
    }
    const pharmacy = sg.subgraphs.pharmacy;
    await pharmacy.stop();
    // Stopped (and its database dropped) here: the final stop has nothing left to do for it.
    pharmacy.stop = async () => undefined;

    const ready = await fetch(`${sg.gatewayUrl}/ready`);
    expect(ready.status).toBe(503);
    const body = (await ready.json()) as { status: string; checks: Record<string, string> };
    expect(body.status).toBe('not ready');
    expect(body.checks.pharmacy).toMatch(/^failing/);
    expect(
      Object.entries(body.checks)
        .filter(([, v]) => v !== 'ok')
        .map(([k]) => k),
    ).toEqual(['pharmacy']);

    // Only the stopped subgraph's field: the whole request failed → HTTP 503 with Retry-After.
    const only = await post(sg.url, { query: PHARMACIES }, { authorization: `Bearer ${patient.token}` });
    expect(only.status).toBe(503);
    expect(Number(only.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(only.body.errors!.map((e) => e.extensions)).toEqual([{ code: 'SERVICE_UNAVAILABLE', retryAfterSeconds: 5 }]);

    // Mixed: the other subgraphs' fields resolve, the stopped one's (nullable) field is null
    // with SERVICE_UNAVAILABLE. (A non-null root field would null the whole answer, per GraphQL.)
    const mixed = await post(
      sg.url,
      {
        query: `query($id: ID!) { me { id } doctors(first: 1) { totalCount } pharmacy(id: $id) { id } }`,
        variables: { id: randomUUID() },
      },
      { authorization: `Bearer ${patient.token}` },
    );
    expect(mixed.status).toBe(200);
    expect(mixed.body.data!.me).toEqual({ id: patient.id });
    expect(mixed.body.data!.pharmacy).toBeNull();
    expect(typeof mixed.body.data!.doctors.totalCount).toBe('number');
    expect(mixed.body.errors!.map((e) => e.extensions!.code)).toEqual(['SERVICE_UNAVAILABLE']);
    expect(JSON.stringify(mixed.body.errors)).not.toMatch(/ECONNREFUSED|127\.0\.0\.1|serviceName|pharmacy/);
  }, 60_000);
});
