import { createHash, randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import WebSocket from 'ws';
import { createClient, type Client } from 'graphql-ws';
import { gatewayEnv, loadConfig } from '@hc/config';
import { ServiceMetrics } from '@hc/graphql';
import { composeFromCode, signTestToken, startSupergraph, TEST_REDIS_URL, type TestSupergraph } from '@hc/testing';
import { applyUserChanged } from '@hc/doctor-subgraph/testing';
import { createGateway, type RunningGateway } from '../server.js';
import { subgraphs, supergraph } from '../../../scripts/subgraphs.ts';

type Role = 'PATIENT' | 'DOCTOR' | 'ASSISTANT';
const wsUrl = (httpUrl: string) => `${httpUrl.replace(/^http/, 'ws')}/graphql`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitFor<T>(fn: () => T | undefined, what: string, ms = 10_000): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const v = fn();
    if (v) return v;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await sleep(25);
  }
}

describe('appointment subscriptions through the gateway (graphql-ws)', () => {
  let sg: TestSupergraph;
  let second: RunningGateway;
  let gatewayConfigFor: (env: Record<string, string>) => ReturnType<typeof loadConfig<typeof gatewayEnv>>;
  const clients: Client[] = [];

  const user = async (role: Role, name: string) => {
    const id = randomUUID();
    const email = `${role.toLowerCase()}.${id.slice(0, 8)}@example.com`;
    await sg.subgraphs.auth.orm.em
      .getConnection()
      .execute(`insert into users (id, name, email, password_hash, role, is_verified) values (?, ?, ?, 'x', ?, true)`, [
        id,
        name,
        email,
        role,
      ]);
    await applyUserChanged(sg.subgraphs.doctor.orm, {
      userId: id,
      name,
      email,
      phone: null,
      role,
      isVerified: true,
      updatedAt: new Date().toISOString(),
    });
    return { id, name, email, token: sg.tokenFor({ id, role, email }) };
  };
  const must = async (res: Promise<{ data?: any; errors?: unknown }>) => {
    const r = await res;
    if (r.errors) throw new Error(JSON.stringify(r.errors));
    return r.data;
  };

  const subscribe = (gatewayHttpUrl: string, token: string, query: string, variables: Record<string, unknown> = {}) => {
    const received: any[] = [];
    const errors: unknown[] = [];
    const client = createClient({
      url: wsUrl(gatewayHttpUrl),
      webSocketImpl: WebSocket,
      connectionParams: { authorization: `Bearer ${token}` },
      retryAttempts: 0,
    });
    clients.push(client);
    const connected = new Promise<void>((resolve) => client.on('connected', () => resolve()));
    client.subscribe(
      { query, variables },
      { next: (v) => received.push(v), error: (e) => errors.push(e), complete: () => undefined },
    );
    return { received, errors, connected };
  };

  let doctor: Awaited<ReturnType<typeof user>> & { workplaceId: string; doctorId: string };
  let otherDoctor: Awaited<ReturnType<typeof user>>;
  let patient: Awaited<ReturnType<typeof user>>;
  let otherPatient: Awaited<ReturnType<typeof user>>;
  let assistant: Awaited<ReturnType<typeof user>>;

  beforeAll(async () => {
    sg = await startSupergraph(supergraph);
    const urls = Object.fromEntries(Object.entries(sg.subgraphs).map(([n, s]) => [n, s.graphqlUrl])) as never;
    gatewayConfigFor = (env) =>
      loadConfig(gatewayEnv, {
        NODE_ENV: 'test',
        LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'warn',
        HOST: '127.0.0.1',
        REDIS_URL: TEST_REDIS_URL,
        REDIS_PREFIX: sg.redisPrefix,
        AUTH_JWKS_URL: `${sg.subgraphs.auth.server.url}/.well-known/jwks.json`,
        JWT_ISSUER: sg.keys.issuer,
        JWT_AUDIENCE: sg.keys.audience,
        SUBGRAPH_SHARED_SECRET: sg.sharedSecret!,
        AUTH_URL: sg.subgraphs.auth.graphqlUrl,
        DOCTOR_URL: sg.subgraphs.doctor.graphqlUrl,
        NOTIFICATION_URL: sg.subgraphs.notification.graphqlUrl,
        PHARMACY_URL: sg.subgraphs.pharmacy.graphqlUrl,
        ...env,
      });
    const config = loadConfig(gatewayEnv, {
      NODE_ENV: 'test',
      LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'warn',
      HOST: '127.0.0.1',
      REDIS_URL: TEST_REDIS_URL,
      REDIS_PREFIX: sg.redisPrefix,
      AUTH_JWKS_URL: `${sg.subgraphs.auth.server.url}/.well-known/jwks.json`,
      JWT_ISSUER: sg.keys.issuer,
      JWT_AUDIENCE: sg.keys.audience,
      SUBGRAPH_SHARED_SECRET: sg.sharedSecret!,
      AUTH_URL: sg.subgraphs.auth.graphqlUrl,
      DOCTOR_URL: sg.subgraphs.doctor.graphqlUrl,
      NOTIFICATION_URL: sg.subgraphs.notification.graphqlUrl,
      PHARMACY_URL: sg.subgraphs.pharmacy.graphqlUrl,
    });
    second = await (
      await createGateway(config, { supergraphSdl: await composeFromCode(subgraphs, urls) })
    ).listen(0, '127.0.0.1');

    const d = await user('DOCTOR', 'Dr Amal Hassan');
    const profile = await must(
      sg.query(
        `mutation { upsertDoctorProfile(input: { specialization: "Cardiology", licenseNumber: "LIC-${d.id.slice(0, 8)}" }) { id } }`,
        {},
        d.token,
      ),
    );
    await must(
      sg.query(
        `mutation($id: ID!) { reviewDoctor(doctorId: $id, status: APPROVED) { id } }`,
        { id: profile.upsertDoctorProfile.id },
        sg.tokenFor({ role: 'ADMIN' }),
      ),
    );
    const days = ['MONDAY', 'TUESDAY', 'WEDNESDAY', 'THURSDAY', 'FRIDAY', 'SATURDAY', 'SUNDAY'];
    const wp = await must(
      sg.query(
        `mutation($i: WorkplaceInput!) { createWorkplace(input: $i) { id } }`,
        {
          i: {
            name: 'Heart Clinic',
            type: 'CLINIC',
            timeZone: 'Africa/Cairo',
            workingHours: days.map((day) => ({ day, start: '09:00', end: '17:00' })),
          },
        },
        d.token,
      ),
    );
    doctor = { ...d, doctorId: profile.upsertDoctorProfile.id, workplaceId: wp.createWorkplace.id };
    otherDoctor = await user('DOCTOR', 'Dr Other');
    patient = await user('PATIENT', 'Pat Ient');
    otherPatient = await user('PATIENT', 'Nosy Parker');
    assistant = await user('ASSISTANT', 'Asa Sistant');
    const invite = await must(
      sg.query(
        `mutation($i: InviteAssistantInput!) { inviteAssistant(input: $i) { id } }`,
        { i: { assistantEmail: assistant.email, workplaceId: doctor.workplaceId } },
        doctor.token,
      ),
    );
    await must(
      sg.query(
        `mutation($id: ID!) { respondToInvite(inviteId: $id, accept: true) { status } }`,
        { id: invite.inviteAssistant.id },
        assistant.token,
      ),
    );
  });

  afterAll(async () => {
    await Promise.all(clients.map((c) => c.dispose()));
    await second?.stop();
    await sg?.stop();
  });

  it('delivers to the patient, the doctor and assigned assistants only, with federated fields, across two gateway instances', async () => {
    const FULL = `subscription($doctorId: ID) {
      appointmentUpdated(doctorId: $doctorId) {
        type
        occurredAt
        appointment { id status patient { name } doctor { user { name } } workplace { name } }
      }
    }`;
    // The doctor listens on the second instance; the booking goes through the first.
    const forDoctor = subscribe(second.url, doctor.token, FULL, { doctorId: doctor.doctorId });
    const forPatient = subscribe(
      sg.gatewayUrl,
      patient.token,
      `subscription { e: appointmentUpdated { kind: type appointment { ...A } } } fragment A on Appointment { id when: startsAt }`,
    );
    const forAssistant = subscribe(
      second.url,
      assistant.token,
      `subscription($w: ID) { appointmentUpdated(workplaceId: $w) { type appointment { id patient { name } } } }`,
      { w: doctor.workplaceId },
    );
    const forOtherPatient = subscribe(second.url, otherPatient.token, FULL);
    const forOtherDoctor = subscribe(sg.gatewayUrl, otherDoctor.token, FULL);
    await Promise.all([forDoctor, forPatient, forAssistant, forOtherPatient, forOtherDoctor].map((x) => x.connected));
    await sleep(200); // the subscribe message follows the connection ack; let the server register it

    const startsAt = new Date(Date.UTC(new Date().getUTCFullYear() + 1, 2, 3, 8, 0)).toISOString(); // 10:00 Cairo
    const booked = await must(
      sg.query(
        `mutation($i: BookAppointmentInput!) { bookAppointment(input: $i) { id } }`,
        { i: { workplaceId: doctor.workplaceId, startsAt } },
        patient.token,
      ),
    );
    const id = booked.bookAppointment.id;

    const first = await waitFor(() => forDoctor.received[0], 'the doctor event');
    expect(first.errors).toBeUndefined();
    expect(first.data.appointmentUpdated).toMatchObject({
      type: 'BOOKED',
      appointment: {
        id,
        status: 'PENDING',
        patient: { name: 'Pat Ient' },
        doctor: { user: { name: 'Dr Amal Hassan' } },
        workplace: { name: 'Heart Clinic' },
      },
    });
    expect(Date.parse(first.data.appointmentUpdated.occurredAt)).not.toBeNaN();
    const p = await waitFor(() => forPatient.received[0], 'the patient event');
    expect(p.data).toEqual({ e: { kind: 'BOOKED', appointment: { id, when: startsAt } } });
    const a = await waitFor(() => forAssistant.received[0], 'the assistant event');
    expect(a.data.appointmentUpdated).toEqual({ type: 'BOOKED', appointment: { id, patient: { name: 'Pat Ient' } } });

    await must(sg.query(`mutation($id: ID!) { confirmAppointment(id: $id) { status } }`, { id }, doctor.token));
    const second_ = await waitFor(() => forDoctor.received[1], 'the confirmation');
    expect(second_.data.appointmentUpdated).toMatchObject({ type: 'CONFIRMED', appointment: { status: 'CONFIRMED' } });
    await waitFor(() => forPatient.received[1], 'the patient confirmation');
    await waitFor(() => forAssistant.received[1], 'the assistant confirmation');

    // Both events have reached every instance by now; strangers got nothing.
    expect(forOtherPatient.received).toHaveLength(0);
    expect(forOtherDoctor.received).toHaveLength(0);
    for (const s of [forDoctor, forPatient, forAssistant, forOtherPatient, forOtherDoctor]) expect(s.errors).toHaveLength(0);
  });

  it('resolves a selection once per group: same user always, assistants of the event only for shareable fields', async () => {
    const assistant2 = await user('ASSISTANT', 'Bea Sistant');
    const invite = await must(
      sg.query(
        `mutation($i: InviteAssistantInput!) { inviteAssistant(input: $i) { id } }`,
        { i: { assistantEmail: assistant2.email, workplaceId: doctor.workplaceId } },
        doctor.token,
      ),
    );
    await must(
      sg.query(
        `mutation($id: ID!) { respondToInvite(inviteId: $id, accept: true) { status } }`,
        { id: invite.inviteAssistant.id },
        assistant2.token,
      ),
    );
    // Its own metrics, and no in-flight dedupe at the fetcher: what is shared is shared by the fan-out.
    const metrics = new ServiceMetrics('gateway');
    const urls = Object.fromEntries(Object.entries(sg.subgraphs).map(([n, s]) => [n, s.graphqlUrl])) as never;
    const counted = await (
      await createGateway(gatewayConfigFor({ SUBGRAPH_DEDUPE: 'false' }), {
        supergraphSdl: await composeFromCode(subgraphs, urls),
        metrics,
      })
    ).listen(0, '127.0.0.1');
    const fetches = async () =>
      (await metrics.registry.metrics())
        .split('\n')
        .filter((l) => l.startsWith('gateway_subgraph_fetch_duration_seconds_count{'))
        .reduce((n, l) => n + Number(l.slice(l.lastIndexOf(' ') + 1)), 0);
    try {
      // Public fields only: doctor + auth (patient name) per fetch.
      const SHAREABLE = `subscription { appointmentUpdated { type appointment { id status patient { name } } } }`;
      // `notes` is audited per reader: never shared across users.
      const AUDITED = `subscription { appointmentUpdated { type appointment { id notes } } }`;
      const shareable = [
        ...Array.from({ length: 5 }, () => subscribe(counted.url, assistant.token, SHAREABLE)),
        ...Array.from({ length: 3 }, () => subscribe(counted.url, assistant2.token, SHAREABLE)),
      ];
      const audited = [
        ...Array.from({ length: 2 }, () => subscribe(counted.url, assistant.token, AUDITED)),
        ...Array.from({ length: 2 }, () => subscribe(counted.url, assistant2.token, AUDITED)),
      ];
      const patients = Array.from({ length: 3 }, () => subscribe(counted.url, patient.token, SHAREABLE));
      const stranger = subscribe(counted.url, otherPatient.token, SHAREABLE);
      const strangerDoctor = subscribe(counted.url, otherDoctor.token, AUDITED);
      const all = [...shareable, ...audited, ...patients];
      await Promise.all([...all, stranger, strangerDoctor].map((x) => x.connected));
      await sleep(300);

      const before = await fetches();
      const startsAt = new Date(Date.UTC(new Date().getUTCFullYear() + 1, 2, 5, 8, 0)).toISOString();
      const booked = await must(
        sg.query(
          `mutation($i: BookAppointmentInput!) { bookAppointment(input: $i) { id } }`,
          { i: { workplaceId: doctor.workplaceId, startsAt, notes: 'chest pain' } },
          patient.token,
        ),
      );
      const id = booked.bookAppointment.id;
      for (const [i, s] of all.entries()) await waitFor(() => s.received[0], `subscriber ${i}`);
      const expected = { type: 'BOOKED', appointment: { id, status: 'PENDING', patient: { name: 'Pat Ient' } } };
      for (const s of [...shareable, ...patients]) expect(s.received[0]).toEqual({ data: { appointmentUpdated: expected } });
      for (const s of audited)
        expect(s.received[0].data.appointmentUpdated).toEqual({ type: 'BOOKED', appointment: { id, notes: 'chest pain' } });
      // Per socket this was 8×2 + 4×1 + 3×2 = 26 subgraph fetches. Grouped: the assistants' shareable
      // selection once (2), the audited one once per assistant (2×1), the patient's once (2).
      const used = (await fetches()) - before;
      expect(used).toBeGreaterThan(0);
      expect(used).toBeLessThanOrEqual(6);

      await sleep(200);
      expect(stranger.received).toHaveLength(0);
      expect(strangerDoctor.received).toHaveLength(0);
      for (const s of [...all, stranger, strangerDoctor]) expect(s.errors).toHaveLength(0);
    } finally {
      await counted.stop();
    }
  });

  it('closes the socket with 4401 for a missing or invalid token', async () => {
    const closeCode = (params: Record<string, unknown>) =>
      new Promise<number>((resolve) => {
        const ws = new WebSocket(wsUrl(sg.gatewayUrl), 'graphql-transport-ws');
        ws.on('open', () => ws.send(JSON.stringify({ type: 'connection_init', payload: params })));
        ws.on('close', (code) => resolve(code));
      });
    expect(await closeCode({ authorization: 'Bearer not.a.token' })).toBe(4401);
    expect(await closeCode({})).toBe(4401);
    // A valid token that expires while connected: the socket closes then.
    const shortLived = signTestToken(sg.keys, { id: patient.id, role: 'PATIENT' }, { expiresInSeconds: 2 });
    const started = Date.now();
    expect(await closeCode({ authorization: `Bearer ${shortLived}` })).toBe(4401);
    expect(Date.now() - started).toBeGreaterThan(500); // not at once: only when the token ran out
  });

  it('in safelist mode runs a safelisted subscription, including the follow-up query the gateway derives from it', async () => {
    const SAFE = `subscription Mine { appointmentUpdated { type appointment { id patient { name } workplace { name } } } }`;
    const BOOK = `mutation Book($i: BookAppointmentInput!) { bookAppointment(input: $i) { id } }`;
    const sha = (t: string) => createHash('sha256').update(t).digest('hex');
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'safelist-')), 'manifest.json');
    writeFileSync(file, JSON.stringify({ [sha(SAFE)]: SAFE, [sha(BOOK)]: BOOK }));
    const urls = Object.fromEntries(Object.entries(sg.subgraphs).map(([n, s]) => [n, s.graphqlUrl])) as never;
    const locked = await (
      await createGateway(gatewayConfigFor({ PERSISTED_QUERIES_SAFELIST: file }), {
        supergraphSdl: await composeFromCode(subgraphs, urls),
      })
    ).listen(0, '127.0.0.1');
    try {
      const listed = subscribe(locked.url, patient.token, SAFE);
      const unlisted = subscribe(locked.url, patient.token, `subscription { appointmentUpdated { type } }`);
      await Promise.all([listed.connected, unlisted.connected]);
      await waitFor(() => unlisted.errors[0], 'the refusal of an unlisted subscription');
      expect((unlisted.errors[0] as { extensions?: { code?: string } }[])[0].extensions?.code).toBe('PERSISTED_QUERY_NOT_FOUND');
      await sleep(200);

      const startsAt = new Date(Date.UTC(new Date().getUTCFullYear() + 1, 2, 4, 8, 0)).toISOString();
      const res = await fetch(`${locked.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${patient.token}` },
        body: JSON.stringify({ query: BOOK, variables: { i: { workplaceId: doctor.workplaceId, startsAt } } }),
      });
      const booked = (await res.json()) as { data: { bookAppointment: { id: string } } };
      const event = await waitFor(() => listed.received[0], 'the safelisted subscription event');
      expect(event.errors).toBeUndefined();
      expect(event.data.appointmentUpdated).toEqual({
        type: 'BOOKED',
        appointment: { id: booked.data.bookAppointment.id, patient: { name: 'Pat Ient' }, workplace: { name: 'Heart Clinic' } },
      });
      // A client still cannot send that follow-up query itself.
      const direct = await fetch(`${locked.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${patient.token}` },
        body: JSON.stringify({ query: `{ appointment(id: "${booked.data.bookAppointment.id}") { id } }` }),
      });
      expect(direct.status).toBe(400);
    } finally {
      await locked.stop();
    }
  });

  it('never sends a subscription to the subgraphs over HTTP', async () => {
    const before = sg.statements().doctor;
    const res = await sg.query(`subscription { appointmentUpdated { type } }`, {}, patient.token);
    expect(res.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(sg.statements().doctor).toBe(before);
  });
});
