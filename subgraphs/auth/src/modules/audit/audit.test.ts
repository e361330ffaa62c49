import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { chainHash, chainHead, pgQuery, recordFromRow, verifyAnchor, verifyChain, verifyCollected } from '@hc/audit';
import { seedDirectory } from '@hc/doctor-subgraph/testing';
import { startSupergraph, type TestSupergraph } from '@hc/testing';
import { AUTH_TEST_ENV, createAccount, type TestAccount } from '../../../test/factories.js';
import { supergraph, type SubgraphName } from '../../../../../scripts/subgraphs.ts';

const ACCESS_LOG = /* GraphQL */ `
  query ($first: Int, $after: String) {
    myAccessLog(first: $first, after: $after) {
      totalCount
      pageInfo {
        endCursor
        hasNextPage
      }
      nodes {
        id
        occurredAt
        action
        resourceType
        resourceId
        fields
        service
        actorRole
        actor {
          id
          name
        }
        patient {
          id
        }
      }
    }
  }
`;

const MY_PATIENTS = /* GraphQL */ `
  query ($first: Int) {
    myPatients(first: $first) {
      totalCount
      nodes {
        id
        patientProfile {
          allergies
        }
      }
    }
  }
`;

/** The doctor's patients: users, health profiles and care relationships in auth, appointments in doctor. */
async function seedPatients(sg: TestSupergraph, doctor: { userId: string; doctorId: string; workplaceId: string }, n: number) {
  const auth = sg.subgraphs.auth.orm.em.getConnection();
  const doc = sg.subgraphs.doctor.orm.em.getConnection();
  const ids: string[] = [];
  const day = Date.UTC(2030, 0, 1, 9);
  for (let i = 0; i < n; i++) {
    const id = randomUUID();
    ids.push(id);
    await auth.execute(
      `insert into users (id, name, email, password_hash, role, is_verified) values (?, ?, ?, 'x', 'PATIENT', true)`,
      [id, `Patient ${i}`, `p.${i}.${id.slice(0, 8)}@example.com`],
    );
    await auth.execute(`insert into patient_profiles (user_id, allergies, updated_at) values (?, ?::text[], now())`, [
      id,
      `{a${i}}`,
    ]);
    await auth.execute(
      `insert into care_access (staff_user_id, patient_id, status, reason, granted_at, event_at) values (?, ?, 'ACTIVE', 'test care', now(), now())`,
      [doctor.userId, id],
    );
    await doc.execute(
      `insert into appointments (id, patient_id, doctor_id, doctor_user_id, workplace_id, starts_at, ends_at, status)
       values (?, ?, ?, ?, ?, ?, ?, 'CONFIRMED')`,
      [
        randomUUID(),
        id,
        doctor.doctorId,
        doctor.userId,
        doctor.workplaceId,
        new Date(day + i * 3_600_000),
        new Date(day + i * 3_600_000 + 1_800_000),
      ],
    );
  }
  return ids;
}

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../../..');

/** `npm run ops:audit-verify` against this test's auth database: exit code and output. */
function opsAuditVerify(authUrl: string): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', './scripts/register.js', 'scripts/ops/audit-verify.ts', '--service', 'auth'],
      { cwd: ROOT, env: { ...process.env, AUTH_DATABASE_URL: authUrl }, timeout: 60_000 },
      (error, stdout, stderr) => resolve({ code: error ? Number(error.code ?? 1) : 0, out: `${stdout}${stderr}` }),
    );
  });
}

async function waitFor<T>(fn: () => Promise<T | undefined | null | false>, ms = 10_000): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > until) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('audit trail of protected health data (through the gateway)', () => {
  let sg: TestSupergraph<SubgraphName>;
  let alice: TestAccount;
  let bob: TestAccount;
  let doctor: { userId: string; doctorId: string; workplaceId: string; token: string };
  let authDb: pg.Client;
  let patients: string[];

  beforeAll(async () => {
    sg = await startSupergraph(supergraph, { envFor: AUTH_TEST_ENV });
    [alice, bob] = await Promise.all([createAccount(sg, { name: 'Alice' }), createAccount(sg, { name: 'Bob' })]);
    const seeded = await seedDirectory(sg, 1, 'audit');
    const d = seeded.doctors[0];
    doctor = { ...d, token: sg.tokenFor({ id: d.userId, role: 'DOCTOR' }) };
    patients = await seedPatients(sg, doctor, 50);
    authDb = new pg.Client({ connectionString: sg.subgraphs.auth.db.url });
    await authDb.connect();
  });
  afterAll(async () => {
    await authDb?.end();
    await sg?.stop();
  });

  it("records a doctor's read of a patient's profile, and the patient sees who, what and when", async () => {
    await authDb.query(
      `insert into patient_profiles (user_id, allergies, medical_history, updated_at) values ($1, '{nuts}', 'asthma', now())`,
      [alice.id],
    );
    await authDb.query(
      `insert into care_access (staff_user_id, patient_id, status, reason, granted_at, event_at) values ($1, $2, 'ACTIVE', 'test care', now(), now())`,
      [doctor.userId, alice.id],
    );
    const before = Date.now();
    // Through the gateway: the doctor's appointment with Alice exposes her profile (auth resolves it).
    const appt = await sg.subgraphs.doctor.orm.em.getConnection().execute(
      `insert into appointments (id, patient_id, doctor_id, doctor_user_id, workplace_id, starts_at, ends_at, status, notes)
         values (?, ?, ?, ?, ?, '2031-01-01T09:00:00Z', '2031-01-01T09:30:00Z', 'CONFIRMED', 'chest pain') returning id`,
      [randomUUID(), alice.id, doctor.doctorId, doctor.userId, doctor.workplaceId],
    );
    const res = await sg.query(
      `query($id: ID!) { appointment(id: $id) { notes patient { id email patientProfile { allergies medicalHistory } } } }`,
      { id: appt[0].id },
      doctor.token,
    );
    expect(res.errors).toBeUndefined();
    expect(res.data!.appointment.patient.patientProfile).toEqual({ allergies: ['nuts'], medicalHistory: 'asthma' });

    const log = await sg.query(ACCESS_LOG, { first: 10 }, alice.accessToken);
    expect(log.errors).toBeUndefined();
    const byDoctor = log.data!.myAccessLog.nodes.filter((e: any) => e.actor?.id === doctor.userId);
    const profileRead = byDoctor.find((e: any) => e.resourceType === 'PatientProfile');
    expect(profileRead).toMatchObject({
      action: 'READ',
      actorRole: 'DOCTOR',
      actor: { id: doctor.userId, name: 'Dr audit 0' },
      patient: { id: alice.id },
      resourceId: alice.id,
      service: 'auth',
    });
    expect([...profileRead.fields].sort()).toEqual(['allergies', 'medicalHistory']);
    expect(Date.parse(profileRead.occurredAt)).toBeGreaterThanOrEqual(before - 1000);
    expect(Date.parse(profileRead.occurredAt)).toBeLessThanOrEqual(Date.now());
    // Her email read by the doctor is recorded too; her own reads of her contact details are not.
    expect(byDoctor.find((e: any) => e.resourceType === 'User')).toMatchObject({ fields: ['email'] });
  });

  it('writes a federated page of 50 patient profiles with ONE insert into audit_events', async () => {
    const inserts = sg.subgraphs.auth.counter.watch(/insert into "audit_events"/i);
    const before = Number(
      (await authDb.query(`select count(*) from audit_events where resource_type = 'PatientProfile'`)).rows[0].count,
    );
    const res = await sg.query(MY_PATIENTS, { first: 50 }, doctor.token);
    expect(res.errors).toBeUndefined();
    const profiles = res.data!.myPatients.nodes.filter((n: any) => n.patientProfile);
    expect(profiles.length).toBe(50);
    expect(inserts()).toBe(1);
    const after = Number(
      (await authDb.query(`select count(*) from audit_events where resource_type = 'PatientProfile'`)).rows[0].count,
    );
    expect(after - before).toBe(50);
  });

  it('withholds the protected data when its reads cannot be recorded', async () => {
    await authDb.query(`alter table audit_chain_head rename to audit_chain_head_away`);
    try {
      const res = await sg.query(MY_PATIENTS, { first: 3 }, doctor.token);
      expect(res.errors?.length).toBeGreaterThan(0);
      expect(JSON.stringify(res.data ?? null)).not.toMatch(/"allergies":\["a\d/);
    } finally {
      await authDb.query(`alter table audit_chain_head_away rename to audit_chain_head`);
    }
    const again = await sg.query(MY_PATIENTS, { first: 3 }, doctor.token);
    expect(again.errors).toBeUndefined();
    expect(again.data!.myPatients.nodes[0].patientProfile.allergies).toEqual(['a0']);
  });

  it('refuses UPDATE, DELETE and TRUNCATE on audit_events, even for the table owner', async () => {
    const owner = await authDb.query(`select tableowner from pg_tables where tablename = 'audit_events'`);
    expect(owner.rows[0].tableowner).toBe('postgres');
    await expect(authDb.query(`update audit_events set fields = '{}'`)).rejects.toThrow(/append-only/);
    await expect(authDb.query(`delete from audit_events`)).rejects.toThrow(/append-only/);
    await expect(authDb.query(`truncate audit_events`)).rejects.toThrow(/append-only/);
    await expect(authDb.query(`delete from audit_collected`)).rejects.toThrow(/append-only/);
    expect((await verifyChain(pgQuery(authDb), 'auth')).ok).toBe(true);
  });

  it('keeps one unbroken chain under 20 concurrent requests', async () => {
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        i % 2 === 0
          ? sg.query(MY_PATIENTS, { first: 5 }, doctor.token)
          : sg.query(`mutation { updatePatientProfile(input: { allergies: ["x${i}"] }) { allergies } }`, {}, alice.accessToken),
      ),
    );
    for (const r of results) expect(r.errors).toBeUndefined();
    const report = await verifyChain(pgQuery(authDb), 'auth');
    expect(report).toMatchObject({ ok: true });
    const count = Number((await authDb.query(`select count(*) from audit_events`)).rows[0].count);
    expect(report.head.seq).toBe(count);
    const updates = await authDb.query(`select count(*) from audit_events where action = 'UPDATE' and patient_id = $1`, [
      alice.id,
    ]);
    expect(Number(updates.rows[0].count)).toBeGreaterThanOrEqual(10);
    expect((await verifyCollected(pgQuery(authDb), pgQuery(authDb), 'auth')).ok).toBe(true);
  });

  it('lets only admins search the trail, and records each search', async () => {
    const asPatient = await sg.query(`{ auditEvents { totalCount } }`, {}, alice.accessToken);
    expect(asPatient.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const asDoctor = await sg.query(`{ auditEvents { totalCount } }`, {}, doctor.token);
    expect(asDoctor.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');

    const adminId = randomUUID();
    const admin = sg.tokenFor({ id: adminId, role: 'ADMIN' });
    const res = await sg.query(
      `query($f: AuditFilter) { auditEvents(filter: $f, first: 5) { totalCount pageInfo { endCursor hasNextPage } nodes { actor { id } patient { id } resourceType } } }`,
      { f: { patientId: patients[0], actorId: doctor.userId, resourceType: 'PatientProfile' } },
      admin,
    );
    expect(res.errors).toBeUndefined();
    expect(res.data!.auditEvents.totalCount).toBeGreaterThanOrEqual(2);
    for (const n of res.data!.auditEvents.nodes)
      expect(n).toEqual({ actor: { id: doctor.userId }, patient: { id: patients[0] }, resourceType: 'PatientProfile' });
    const next = await sg.query(
      `query($a: String) { auditEvents(first: 1, after: $a) { nodes { id } } }`,
      { a: res.data!.auditEvents.pageInfo.endCursor },
      admin,
    );
    expect(next.errors).toBeUndefined();

    const searches = await authDb.query(`select * from audit_collected where resource_type = 'AuditLog' and actor_id = $1`, [
      adminId,
    ]);
    expect(searches.rowCount).toBe(2);
    expect(searches.rows.find((r) => r.patient_id === patients[0])).toMatchObject({ actor_role: 'ADMIN', action: 'READ' });
  });

  it('shows a patient only their own access log, newest first, page by page', async () => {
    const log = await sg.query(ACCESS_LOG, { first: 2 }, bob.accessToken);
    expect(log.errors).toBeUndefined();
    expect(log.data!.myAccessLog.nodes.every((e: any) => e.patient?.id === bob.id)).toBe(true);
    const upd = await sg.query(
      `mutation { updateProfile(input: { phone: "+44 20 7946 0958", name: "Alice B" }) { id } }`,
      {},
      alice.accessToken,
    );
    expect(upd.errors).toBeUndefined();
    const aliceLog = await sg.query(ACCESS_LOG, { first: 3 }, alice.accessToken);
    // Newest first: her phone change, recorded with the change.
    expect(aliceLog.data!.myAccessLog.nodes[0]).toMatchObject({
      action: 'UPDATE',
      resourceType: 'User',
      fields: ['phone'],
      actor: { id: alice.id },
      actorRole: 'PATIENT',
    });
    const nodes = aliceLog.data!.myAccessLog.nodes;
    expect(nodes.length).toBe(3);
    expect(nodes.every((e: any) => e.patient.id === alice.id)).toBe(true);
    const times = nodes.map((e: any) => Date.parse(e.occurredAt));
    expect([...times].sort((a, b) => b - a)).toEqual(times);
    const page2 = await sg.query(
      ACCESS_LOG,
      { first: 3, after: aliceLog.data!.myAccessLog.pageInfo.endCursor },
      alice.accessToken,
    );
    const ids2 = page2.data!.myAccessLog.nodes.map((e: any) => e.id);
    expect(ids2.some((id: string) => nodes.some((n: any) => n.id === id))).toBe(false);
    expect(page2.data!.myAccessLog.totalCount).toBe(aliceLog.data!.myAccessLog.totalCount);
    expect(aliceLog.data!.myAccessLog.totalCount).toBeGreaterThan(3);
  });

  it('names the altered row when a superuser changes the trail behind the trigger', async () => {
    const clean = await opsAuditVerify(sg.subgraphs.auth.db.url);
    expect(clean.out).toContain('✓ auth: chain of');
    expect(clean.code).toBe(0);
    const target = (await authDb.query(`select id, seq from audit_events order by seq limit 1 offset 2`)).rows[0];
    await authDb.query(`alter table audit_events disable trigger audit_events_append_only`);
    try {
      await authDb.query(`update audit_events set fields = '{forged}' where id = $1`, [target.id]);
    } finally {
      await authDb.query(`alter table audit_events enable trigger audit_events_append_only`);
    }
    const report = await verifyChain(pgQuery(authDb), 'auth');
    expect(report.ok).toBe(false);
    expect(report.broken).toMatchObject({ service: 'auth', seq: Number(target.seq), eventId: target.id });
    const broken = await opsAuditVerify(sg.subgraphs.auth.db.url);
    expect(broken.code).toBe(1);
    expect(broken.out).toContain(`✗ auth: chain broken at seq ${target.seq} (event ${target.id})`);
  });

  it('catches a rewrite that rehashes the rest of the chain, through an exported anchor', async () => {
    const anchor = await chainHead(pgQuery(authDb), 'auth');
    expect(await verifyAnchor(pgQuery(authDb), anchor)).toBeNull();
    // Rewrite every link from the forged one (previous test) on so that the chain verifies again.
    const rows = (await authDb.query(`select * from audit_events order by seq`)).rows.map(recordFromRow);
    await authDb.query(`alter table audit_events disable trigger audit_events_append_only`);
    try {
      let prev = rows[0].prevHash;
      for (const r of rows) {
        const hash = chainHash(prev, r);
        if (hash !== r.hash || prev !== r.prevHash) {
          await authDb.query(`update audit_events set prev_hash = $1, hash = $2 where id = $3`, [prev, hash, r.id]);
        }
        prev = hash;
      }
      await authDb.query(`update audit_chain_head set hash = $1`, [prev]);
    } finally {
      await authDb.query(`alter table audit_events enable trigger audit_events_append_only`);
    }
    expect((await verifyChain(pgQuery(authDb), 'auth')).ok).toBe(true);
    const broken = await verifyAnchor(pgQuery(authDb), anchor);
    expect(broken).toMatchObject({ service: 'auth', seq: anchor.seq, reason: 'anchored link has a different hash' });
  });

  it("collects other subgraphs' events in auth through the outbox", async () => {
    const doctorDb = new pg.Client({ connectionString: sg.subgraphs.doctor.db.url });
    await doctorDb.connect();
    try {
      const report = await waitFor(async () => {
        const r = await verifyCollected(pgQuery(doctorDb), pgQuery(authDb), 'doctor', { graceSeconds: 0 });
        return r.ok && r.pending === 0 && r.expected > 0 && r;
      });
      expect(report.expected).toBeGreaterThanOrEqual(1);
      expect((await verifyChain(pgQuery(doctorDb), 'doctor')).ok).toBe(true);
      // The doctor's read of the appointment notes (first test) is in Alice's log, recorded by doctor.
      const log = await sg.query(ACCESS_LOG, { first: 100 }, alice.accessToken);
      expect(log.data!.myAccessLog.nodes).toContainEqual(
        expect.objectContaining({
          service: 'doctor',
          resourceType: 'Appointment',
          fields: ['notes'],
          actor: expect.objectContaining({ id: doctor.userId }),
        }),
      );
    } finally {
      await doctorDb.end();
    }
  });
});
