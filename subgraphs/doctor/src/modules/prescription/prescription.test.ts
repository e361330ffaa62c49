import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Queue } from 'bullmq';
import { QUEUES, type PrescriptionPharmacyAccessEvent } from '@hc/jobs';
import { startTestSubgraph, testRedisPrefix, TEST_REDIS_URL, type TestKeys, type TestSubgraph } from '@hc/testing';
import { doctorTestKit } from '../../../test/support.js';
import { doctorSubgraph } from '../../server.js';
import { applyPharmacyAccess } from './prescription.consumer.js';
import { effectiveStatus } from './prescription.service.js';

let sg: TestSubgraph & { keys: TestKeys };
let kit: ReturnType<typeof doctorTestKit>;
const redisPrefix = testRedisPrefix('doctor-rx');
beforeAll(async () => {
  sg = await startTestSubgraph(doctorSubgraph, { redisPrefix });
  kit = doctorTestKit(sg.orm, sg.keys, sg.graphqlUrl);
});
afterAll(async () => {
  await sg?.stop();
});

type Res = { data?: any; errors?: { message: string; extensions?: Record<string, unknown> }[] };
const code = (r: Res) => r.errors?.[0]?.extensions?.code;
const fields = (r: Res) => ((r.errors?.[0]?.extensions?.fields ?? []) as { field: string }[]).map((f) => f.field);
const sql = <T = any>(q: string, params: unknown[] = []) => sg.orm.em.getConnection().execute<T[]>(q, params);

type Doctor = Awaited<ReturnType<typeof kit.createDoctor>>;
type User = Awaited<ReturnType<typeof kit.createUser>>;

// Each visit gets its own day, so a patient's visits never overlap.
let day = 1;
/** A visit of `patient` with `doctor`, brought to `status`. */
async function visit(doctor: Doctor, patient: User, status: 'PENDING' | 'CONFIRMED' | 'COMPLETED' | 'CANCELLED') {
  const booked = await kit.book(patient.token, doctor.workplaceId, kit.slotAt(day++, 10));
  if (booked.errors) throw new Error(JSON.stringify(booked.errors));
  const id = booked.data.bookAppointment.id as string;
  const op = async (name: string) => {
    const r = await kit.call(`mutation($id: ID!) { ${name}(id: $id) { status } }`, { id }, doctor.token);
    if (r.errors) throw new Error(JSON.stringify(r.errors));
  };
  if (status === 'CONFIRMED' || status === 'COMPLETED') await op('confirmAppointment');
  if (status === 'COMPLETED') await op('completeAppointment');
  if (status === 'CANCELLED') await op('cancelAppointment');
  return id;
}

const FULL = `id status notes issuedAt expiresAt cancellationReason prescriberLicenseNumber
  patient { id } doctor { id } items { item { id } quantity dosageInstructions }`;
const ISSUE = `mutation($i: IssuePrescriptionInput!) { issuePrescription(input: $i) { ${FULL} appointment { id } } }`;
const CANCEL = `mutation($id: ID!, $r: String) { cancelPrescription(id: $id, reason: $r) { id status cancellationReason } }`;
const READ = `query($id: ID!) { prescription(id: $id) { ${FULL} } }`;
const MINE = `query($s: PrescriptionStatus, $first: Int, $after: String) {
  myPrescriptions(status: $s, first: $first, after: $after) { totalCount pageInfo { endCursor hasNextPage } nodes { id status } } }`;

const line = (quantity = 2, dosageInstructions: string | null = '1 tablet twice a day') => ({
  itemId: randomUUID(),
  quantity,
  dosageInstructions,
});
const issue = (token: string, appointmentId: string, extra: Record<string, unknown> = {}) =>
  kit.call(ISSUE, { i: { appointmentId, items: [line()], ...extra } }, token);

async function issued(doctor: Doctor, patient: User, status: 'CONFIRMED' | 'COMPLETED' = 'COMPLETED') {
  const appointmentId = await visit(doctor, patient, status);
  const r = await issue(doctor.token, appointmentId);
  if (r.errors) throw new Error(JSON.stringify(r.errors));
  return { appointmentId, id: r.data.issuePrescription.id as string };
}

const changedEvents = async (id: string) =>
  (
    await sql<{ payload: any }>(
      `select payload from outbox where topic = 'prescription.changed' and payload->>'prescriptionId' = ? order by (payload->>'version')::int`,
      [id],
    )
  ).map((r) => r.payload);
const notices = async (id: string) =>
  (
    await sql<{ payload: any }>(
      `select payload from outbox where topic = 'notification.send' and payload->'variables'->>'prescriptionId' = ? order by created_at`,
      [id],
    )
  ).map((r) => r.payload);

describe('issuePrescription', () => {
  it('the doctor of a CONFIRMED or COMPLETED visit prescribes for its patient; rows, event and notice commit together', async () => {
    const doctor = await kit.createDoctor();
    const patient = await kit.createUser('PATIENT');
    const appointmentId = await visit(doctor, patient, 'CONFIRMED');
    const items = [line(30, '  1 tablet at night  '), line(1, null)];
    const res = await kit.call(ISSUE, { i: { appointmentId, items, notes: 'Review in two weeks' } }, doctor.token);
    expect(res.errors).toBeUndefined();
    const p = res.data.issuePrescription;
    expect(p).toMatchObject({
      status: 'ACTIVE',
      notes: 'Review in two weeks',
      cancellationReason: null,
      patient: { id: patient.id },
      doctor: { id: doctor.doctorId },
      appointment: { id: appointmentId },
      items: [
        { item: { id: items[0].itemId }, quantity: 30, dosageInstructions: '1 tablet at night' },
        { item: { id: items[1].itemId }, quantity: 1, dosageInstructions: null },
      ],
    });
    expect(p.prescriberLicenseNumber).toMatch(/^LIC-/);
    expect(Date.parse(p.expiresAt) - Date.parse(p.issuedAt)).toBe(30 * 24 * 3600_000);

    // The outbox row carries the whole state the pharmacy needs, version 1.
    expect(await changedEvents(p.id)).toEqual([
      {
        prescriptionId: p.id,
        patientId: patient.id,
        doctorId: doctor.doctorId,
        doctorUserId: doctor.id,
        appointmentId,
        status: 'ACTIVE',
        issuedAt: p.issuedAt,
        expiresAt: p.expiresAt,
        items: [
          { itemId: items[0].itemId, quantity: 30, dosageInstructions: '1 tablet at night' },
          { itemId: items[1].itemId, quantity: 1, dosageInstructions: null },
        ],
        version: 1,
        occurredAt: p.issuedAt,
      },
    ]);
    const sent = await notices(p.id);
    expect(sent).toHaveLength(1);
    expect(sent[0]).toMatchObject({
      userId: patient.id,
      template: 'prescription.issued',
      variables: {
        prescriptionId: p.id,
        doctorName: doctor.name,
        patientName: patient.name,
        itemCount: 2,
        expiresAt: p.expiresAt,
      },
    });

    // A COMPLETED visit works too, with a chosen validity.
    const later = await visit(doctor, patient, 'COMPLETED');
    const week = await issue(doctor.token, later, { validDays: 7 });
    expect(week.errors).toBeUndefined();
    const w = week.data.issuePrescription;
    expect(Date.parse(w.expiresAt) - Date.parse(w.issuedAt)).toBe(7 * 24 * 3600_000);
  });

  it("refuses another doctor's visit (NOT_FOUND), a visit not yet confirmed or cancelled (CONFLICT), and non-doctors (FORBIDDEN)", async () => {
    const [doctor, other] = await Promise.all([kit.createDoctor(), kit.createDoctor()]);
    const patient = await kit.createUser('PATIENT');
    const confirmed = await visit(doctor, patient, 'CONFIRMED');
    expect(code(await issue(other.token, confirmed))).toBe('NOT_FOUND');
    expect(code(await issue(doctor.token, randomUUID()))).toBe('NOT_FOUND');
    expect(code(await issue(patient.token, confirmed))).toBe('FORBIDDEN');
    expect(code(await issue(kit.admin.token, confirmed))).toBe('FORBIDDEN');

    const pending = await visit(doctor, patient, 'PENDING');
    const booked = await issue(doctor.token, pending);
    expect(code(booked)).toBe('CONFLICT');
    expect(booked.errors?.[0]?.extensions?.reason).toBe('INVALID_STATUS');
    const cancelled = await visit(doctor, patient, 'CANCELLED');
    expect(code(await issue(doctor.token, cancelled))).toBe('CONFLICT');
    const rows = await sql(`select count(*)::int as n from prescriptions where appointment_id in (?, ?, ?)`, [
      confirmed,
      pending,
      cancelled,
    ]);
    expect(rows[0].n).toBe(0);
  });

  it('bad lines and fields answer BAD_USER_INPUT naming each field; nothing is written', async () => {
    const doctor = await kit.createDoctor();
    const patient = await kit.createUser('PATIENT');
    const appointmentId = await visit(doctor, patient, 'COMPLETED');
    const dup = randomUUID();
    const cases: [Record<string, unknown>, string[]][] = [
      [{ items: [] }, ['items']],
      [{ items: [line(0)] }, ['items[0].quantity']],
      [{ items: [line(-3)] }, ['items[0].quantity']],
      [{ items: [line(), line(1001)] }, ['items[1].quantity']],
      [{ items: [line(), { itemId: 'aspirin', quantity: 1 }] }, ['items[1].itemId']],
      [
        {
          items: [
            { itemId: dup, quantity: 1 },
            { itemId: dup.toUpperCase(), quantity: 2 },
          ],
        },
        ['items[1].itemId'],
      ],
      [{ items: [line(1, 'x'.repeat(1001))] }, ['items[0].dosageInstructions']],
      [{ validDays: 0 }, ['validDays']],
      [{ validDays: 366 }, ['validDays']],
      [{ notes: 'n'.repeat(2001) }, ['notes']],
      [{ appointmentId: 'nope' }, ['appointmentId']],
      [
        { items: [line(0), line(2, 'y'.repeat(1001))], validDays: 400 },
        ['items[0].quantity', 'items[1].dosageInstructions', 'validDays'],
      ],
    ];
    for (const [extra, expected] of cases) {
      const res = await issue(doctor.token, appointmentId, extra);
      expect({ extra, code: code(res), fields: fields(res) }).toEqual({ extra, code: 'BAD_USER_INPUT', fields: expected });
    }
    const max = await issue(doctor.token, appointmentId, { items: [line(1000, 'z'.repeat(1000))], validDays: 365 });
    expect(max.errors).toBeUndefined();
    const rows = await sql(`select count(*)::int as n from prescriptions where appointment_id = ?`, [appointmentId]);
    expect(rows[0].n).toBe(1);
  });
});

describe('cancelPrescription', () => {
  it('two racing cancels: one wins, the other CONFLICT; one CANCELLED event with version 2 and one notice', async () => {
    const doctor = await kit.createDoctor();
    const patient = await kit.createUser('PATIENT');
    const { id } = await issued(doctor, patient);
    const results = await Promise.all([
      kit.call(CANCEL, { id, r: 'Wrong strength' }, doctor.token),
      kit.call(CANCEL, { id, r: 'Wrong strength' }, doctor.token),
    ]);
    expect(results.filter((r) => !r.errors).map((r) => r.data.cancelPrescription)).toEqual([
      { id, status: 'CANCELLED', cancellationReason: 'Wrong strength' },
    ]);
    const loser = results.find((r) => r.errors)!;
    expect(code(loser)).toBe('CONFLICT');
    expect(loser.errors?.[0]?.extensions?.reason).toBe('INVALID_STATUS');

    const events = await changedEvents(id);
    expect(events.map((e) => [e.version, e.status])).toEqual([
      [1, 'ACTIVE'],
      [2, 'CANCELLED'],
    ]);
    expect(events[1].items).toEqual(events[0].items);
    const sent = await notices(id);
    expect(sent.map((n) => n.template)).toEqual(['prescription.issued', 'prescription.cancelled']);
    expect(sent[1]).toMatchObject({ userId: patient.id, variables: { reason: 'Wrong strength' } });
    expect((await kit.call(READ, { id }, patient.token)).data.prescription.status).toBe('CANCELLED');
  });

  it('only the issuing doctor cancels: another doctor NOT_FOUND, the patient FORBIDDEN; reason is length-limited', async () => {
    const [doctor, other] = await Promise.all([kit.createDoctor(), kit.createDoctor()]);
    const patient = await kit.createUser('PATIENT');
    const { id } = await issued(doctor, patient);
    expect(code(await kit.call(CANCEL, { id }, other.token))).toBe('NOT_FOUND');
    expect(code(await kit.call(CANCEL, { id }, patient.token))).toBe('FORBIDDEN');
    const long = await kit.call(CANCEL, { id, r: 'r'.repeat(2001) }, doctor.token);
    expect(fields(long)).toEqual(['reason']);
    expect((await changedEvents(id)).map((e) => e.version)).toEqual([1]);
  });
});

describe('expiry', () => {
  it('an ACTIVE prescription whose expiresAt has passed reads EXPIRED, filters as EXPIRED and can no longer be cancelled', async () => {
    const doctor = await kit.createDoctor();
    const patient = await kit.createUser('PATIENT');
    const { id: expired } = await issued(doctor, patient);
    const { id: active } = await issued(doctor, patient);
    await sql(`update prescriptions set issued_at = ?, expires_at = ? where id = ?`, [
      new Date(Date.now() - 31 * 24 * 3600_000),
      new Date(Date.now() - 1000),
      expired,
    ]);
    expect((await kit.call(READ, { id: expired }, patient.token)).data.prescription.status).toBe('EXPIRED');
    expect((await kit.call(READ, { id: active }, patient.token)).data.prescription.status).toBe('ACTIVE');
    const ids = async (s: string) =>
      (await kit.call(MINE, { s }, patient.token)).data.myPrescriptions.nodes.map((n: { id: string }) => n.id);
    expect(await ids('EXPIRED')).toEqual([expired]);
    expect(await ids('ACTIVE')).toEqual([active]);
    expect(await ids('CANCELLED')).toEqual([]);
    // The boundary: EXPIRED from the instant expiresAt is reached.
    const at = new Date('2026-12-01T10:00:00.000Z');
    expect(effectiveStatus({ status: 'ACTIVE', expiresAt: at }, new Date(at.getTime() - 1))).toBe('ACTIVE');
    expect(effectiveStatus({ status: 'ACTIVE', expiresAt: at }, at)).toBe('EXPIRED');
    expect(effectiveStatus({ status: 'CANCELLED', expiresAt: at }, at)).toBe('CANCELLED');
    const cancel = await kit.call(CANCEL, { id: expired }, doctor.token);
    expect(code(cancel)).toBe('CONFLICT');
    expect(cancel.errors?.[0]?.message).toMatch(/EXPIRED/);
  });
});

describe('myPrescriptions', () => {
  it('a patient sees their own, a doctor the ones they issued, newest first, with cursor pagination', async () => {
    const [d1, d2] = await Promise.all([kit.createDoctor(), kit.createDoctor()]);
    const [patient, other] = await Promise.all([kit.createUser('PATIENT'), kit.createUser('PATIENT')]);
    const a = await issued(d1, patient);
    const b = await issued(d2, patient, 'CONFIRMED');
    const c = await issued(d1, patient);
    const d = await issued(d1, other);

    const page1 = (await kit.call(MINE, { first: 2 }, patient.token)).data.myPrescriptions;
    expect(page1.totalCount).toBe(3);
    expect(page1.nodes.map((n: { id: string }) => n.id)).toEqual([c.id, b.id]);
    expect(page1.pageInfo.hasNextPage).toBe(true);
    const page2 = (await kit.call(MINE, { first: 2, after: page1.pageInfo.endCursor }, patient.token)).data.myPrescriptions;
    expect(page2.nodes.map((n: { id: string }) => n.id)).toEqual([a.id]);
    expect(page2.pageInfo.hasNextPage).toBe(false);

    const issuedByD1 = (await kit.call(MINE, {}, d1.token)).data.myPrescriptions;
    expect(issuedByD1.totalCount).toBe(3);
    expect(issuedByD1.nodes.map((n: { id: string }) => n.id)).toEqual([d.id, c.id, a.id]);
    expect((await kit.call(MINE, {}, other.token)).data.myPrescriptions.nodes).toEqual([{ id: d.id, status: 'ACTIVE' }]);

    const pharmacy = await kit.createUser('PHARMACY');
    expect(code(await kit.call(MINE, {}, pharmacy.token))).toBe('FORBIDDEN');
    expect(code(await kit.call(MINE, {}))).toBe('UNAUTHENTICATED');
    expect(code(await kit.call(MINE, { first: 101 }, patient.token))).toBe('BAD_USER_INPUT');
  });
});

describe('who reads a prescription', () => {
  it('patient, issuing doctor, admin and a recorded pharmacy user read it; anyone else gets NOT_FOUND like a missing id', async () => {
    const [doctor, otherDoctor] = await Promise.all([kit.createDoctor(), kit.createDoctor()]);
    const [patient, otherPatient] = await Promise.all([kit.createUser('PATIENT'), kit.createUser('PATIENT')]);
    const [pharmacist, strangerPharmacist] = await Promise.all([kit.createUser('PHARMACY'), kit.createUser('PHARMACY')]);
    const { id, appointmentId } = await issued(doctor, patient);
    expect(
      await applyPharmacyAccess(sg.orm, {
        prescriptionId: id,
        pharmacyId: randomUUID(),
        pharmacyUserId: pharmacist.id,
        occurredAt: new Date().toISOString(),
      }),
    ).toBe(true);

    for (const reader of [patient, doctor, kit.admin, pharmacist]) {
      const res = await kit.call(READ, { id }, reader.token);
      expect({ reader: reader.id, errors: res.errors }).toEqual({ reader: reader.id, errors: undefined });
      expect(res.data.prescription).toMatchObject({ id, doctor: { id: doctor.doctorId }, items: [{ quantity: 2 }] });
    }
    for (const stranger of [otherPatient, otherDoctor, strangerPharmacist]) {
      const res = await kit.call(READ, { id }, stranger.token);
      expect({ stranger: stranger.id, code: code(res), data: res.data?.prescription }).toEqual({
        stranger: stranger.id,
        code: 'NOT_FOUND',
        data: null,
      });
    }
    const missing = await kit.call(READ, { id: randomUUID() }, otherPatient.token);
    expect({ code: code(missing), message: missing.errors?.[0]?.message }).toEqual({
      code: code(await kit.call(READ, { id }, otherPatient.token)),
      message: (await kit.call(READ, { id }, otherPatient.token)).errors?.[0]?.message,
    });
    expect(code(await kit.call(READ, { id: 'not-a-uuid' }, patient.token))).toBe('NOT_FOUND');
    expect(code(await kit.call(READ, { id }))).toBe('UNAUTHENTICATED');

    // The pharmacist sees the prescriber's licence but not the visit (its notes are health data).
    const withVisit = await kit.call(
      `query($id: ID!) { prescription(id: $id) { id prescriberLicenseNumber appointment { id notes } } }`,
      { id },
      pharmacist.token,
    );
    expect(code(withVisit)).toBe('FORBIDDEN');
    expect(withVisit.errors?.[0]?.path).toEqual(['prescription', 'appointment']);
    const patientVisit = await kit.call(
      `query($id: ID!) { prescription(id: $id) { appointment { id } } }`,
      { id },
      patient.token,
    );
    expect(patientVisit.data.prescription.appointment.id).toBe(appointmentId);

    // Federation: the pharmacy subgraph returns Order.prescription as a reference; same rules.
    const ENTITIES = `query($r: [_Any!]!) { _entities(representations: $r) { ... on Prescription { id status items { quantity } } } }`;
    const reps = { r: [{ __typename: 'Prescription', id }] };
    expect((await kit.call(ENTITIES, reps, pharmacist.token)).data._entities).toEqual([
      { id, status: 'ACTIVE', items: [{ quantity: 2 }] },
    ]);
    expect((await kit.call(ENTITIES, reps, strangerPharmacist.token)).data._entities).toEqual([null]);
    expect((await kit.call(ENTITIES, reps, otherPatient.token)).data._entities).toEqual([null]);
  });

  it('the pharmacy-access handler is idempotent, ignores unknown prescriptions, and runs from the doctor-events queue', async () => {
    const doctor = await kit.createDoctor();
    const patient = await kit.createUser('PATIENT');
    const { id } = await issued(doctor, patient);
    const pharmacist = await kit.createUser('PHARMACY');
    const event: PrescriptionPharmacyAccessEvent = {
      prescriptionId: id,
      pharmacyId: randomUUID(),
      pharmacyUserId: pharmacist.id,
      occurredAt: new Date().toISOString(),
    };
    const results = await Promise.all([applyPharmacyAccess(sg.orm, event), applyPharmacyAccess(sg.orm, event)]);
    expect(results.sort()).toEqual([false, true]);
    expect(await applyPharmacyAccess(sg.orm, event)).toBe(false);
    const rows = await sql(`select pharmacy_user_id from prescription_pharmacy_access where prescription_id = ?`, [id]);
    expect(rows).toEqual([{ pharmacy_user_id: pharmacist.id }]);
    expect(await applyPharmacyAccess(sg.orm, { ...event, prescriptionId: randomUUID() })).toBe(false);

    // Through the running consumer: the same queue also carries user.changed jobs.
    const second = await kit.createUser('PHARMACY');
    const queue = new Queue(QUEUES.doctorEvents, { connection: { url: TEST_REDIS_URL }, prefix: redisPrefix });
    await queue.add('prescription.pharmacy-access', { ...event, pharmacyUserId: second.id });
    const until = Date.now() + 10_000;
    let granted: unknown[] = [];
    while (Date.now() < until && granted.length === 0) {
      granted = await sql(`select 1 from prescription_pharmacy_access where prescription_id = ? and pharmacy_user_id = ?`, [
        id,
        second.id,
      ]);
      await new Promise((r) => setTimeout(r, 50));
    }
    await queue.close();
    expect(granted).toHaveLength(1);
    expect((await kit.call(READ, { id }, second.token)).data.prescription.id).toBe(id);
  });
});

describe('pendingDoctors', () => {
  it('admins only; PENDING profiles oldest first with pagination', async () => {
    const approved = await kit.createDoctor();
    const pending: string[] = [];
    for (let i = 0; i < 3; i++) {
      const user = await kit.createUser('DOCTOR');
      const r = await kit.call(
        `mutation($l: String!) { upsertDoctorProfile(input: { specialization: "ENT", licenseNumber: $l }) { id } }`,
        { l: `PEND-${randomUUID().slice(0, 8)}` },
        user.token,
      );
      pending.push(r.data.upsertDoctorProfile.id);
    }
    // Oldest first even when ids sort the other way: fix the creation times.
    // (Millisecond times, as the application writes them: cursors carry milliseconds.)
    const hoursAgo = (h: number) => new Date(Date.now() - h * 3600_000);
    for (const [id, h] of [
      [pending[2], 3],
      [pending[0], 2],
      [pending[1], 1],
    ] as const)
      await sql(`update doctors set created_at = ? where id = ?`, [hoursAgo(h), id]);
    const expected = [pending[2], pending[0], pending[1]];
    const PENDING = `query($first: Int, $after: String) { pendingDoctors(first: $first, after: $after) {
      totalCount pageInfo { endCursor hasNextPage } nodes { id verificationStatus } } }`;
    const all = (await kit.call(PENDING, { first: 100 }, kit.admin.token)).data.pendingDoctors;
    const mine = all.nodes.filter((n: { id: string }) => pending.includes(n.id));
    expect(mine.map((n: { id: string }) => n.id)).toEqual(expected);
    expect(all.nodes.every((n: { verificationStatus: string }) => n.verificationStatus === 'PENDING')).toBe(true);
    expect(all.nodes.map((n: { id: string }) => n.id)).not.toContain(approved.doctorId);
    expect(all.totalCount).toBe(all.nodes.length);

    const first = (await kit.call(PENDING, { first: 1 }, kit.admin.token)).data.pendingDoctors;
    const next = (await kit.call(PENDING, { first: 1, after: first.pageInfo.endCursor }, kit.admin.token)).data.pendingDoctors;
    expect([first.nodes[0].id, next.nodes[0].id]).toEqual(all.nodes.slice(0, 2).map((n: { id: string }) => n.id));

    expect(code(await kit.call(PENDING, {}, approved.token))).toBe('FORBIDDEN');
    expect(code(await kit.call(PENDING, {}))).toBe('UNAUTHENTICATED');
  });
});
