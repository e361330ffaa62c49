import { randomUUID } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startSupergraph, type TestSupergraph, until } from '@hc/testing';
import type { Role } from '@hc/auth';
import { doctorTestKit } from './support.js';
import { supergraph } from '../../../scripts/subgraphs.ts';

type Res = { data?: any; errors?: { extensions?: Record<string, unknown> }[] };
const code = (r: Res) => r.errors?.[0]?.extensions?.code;
const reason = (r: Res) => r.errors?.[0]?.extensions?.reason;

const PROFILE = `mutation($i: DoctorProfileInput!) { upsertDoctorProfile(input: $i) { id verificationStatus } }`;
const REVIEW = `mutation($id: ID!, $s: VerificationStatus!, $r: String) {
  reviewDoctor(doctorId: $id, status: $s, reason: $r) { id verificationStatus reviewReason }
}`;
const PENDING = `query($first: Int, $after: String) {
  pendingDoctors(first: $first, after: $after) {
    totalCount
    pageInfo { hasNextPage endCursor }
    nodes { id licenseNumber specialization verificationStatus user { id name } }
  }
}`;
const HISTORY = `{ notificationHistory(first: 20) { nodes { template status } } }`;

/** Admin review queue and the limits of an unapproved doctor, through the gateway (issue 17). */
describe('doctor review queue through the gateway', () => {
  let sg: TestSupergraph;
  let kit: ReturnType<typeof doctorTestKit>;
  let mailDir: string;

  beforeAll(async () => {
    sg = await startSupergraph(supergraph);
    kit = doctorTestKit(sg.subgraphs.doctor.orm, sg.keys, sg.gatewayUrl);
    mailDir = join(sg.keys.dir, 'mail');
  });
  afterAll(async () => {
    await sg?.stop();
  });

  /**
   * A user known to every subgraph that needs them: auth (so `User.name` resolves through
   * federation), doctor's read copy (through the real user.changed handler) and notification's
   * contacts (so the notice is delivered).
   */
  async function person(role: Role, name = `${role.toLowerCase()} ${randomUUID().slice(0, 6)}`) {
    const u = await kit.createUser(role, name);
    await sg.subgraphs.auth.orm.em
      .getConnection()
      .execute(`insert into users (id, name, email, password_hash, role, is_verified) values (?, ?, ?, 'x', ?, true)`, [
        u.id,
        u.name,
        u.email,
        role,
      ]);
    await sg.subgraphs.notification.orm.em
      .getConnection()
      .execute(`insert into contacts (user_id, name, email, role, updated_at) values (?, ?, ?, ?, now())`, [
        u.id,
        u.name,
        u.email,
        role,
      ]);
    return u;
  }

  /** A DOCTOR user with a submitted (PENDING) profile. */
  async function pendingDoctor(name?: string) {
    const user = await person('DOCTOR', name);
    const licenseNumber = `LIC-${randomUUID().slice(0, 12)}`;
    const res = await kit.call(PROFILE, { i: { specialization: 'Dermatology', licenseNumber } }, user.token);
    expect(res.errors).toBeUndefined();
    expect(res.data.upsertDoctorProfile.verificationStatus).toBe('PENDING');
    return { ...user, doctorId: res.data.upsertDoctorProfile.id as string, licenseNumber };
  }

  /** Every email captured so far for `address` (the test supergraph writes mail to files). */
  const mailTo = (address: string) =>
    existsSync(mailDir)
      ? readdirSync(mailDir)
          .map((f) => readFileSync(join(mailDir, f), 'utf8'))
          .filter((m) => m.includes(address))
      : [];

  it('pendingDoctors: admins only, oldest first with licence number and user name; reviewed doctors leave the queue', async () => {
    const a = await pendingDoctor(`Dr Alpha ${randomUUID().slice(0, 4)}`);
    const b = await pendingDoctor(`Dr Beta ${randomUUID().slice(0, 4)}`);
    const c = await pendingDoctor(`Dr Gamma ${randomUUID().slice(0, 4)}`);
    await kit.createDoctor(); // approved at once: never in the queue

    const queue = await kit.call(PENDING, { first: 50 }, kit.admin.token);
    expect(queue.errors).toBeUndefined();
    expect(queue.data.pendingDoctors.totalCount).toBe(3);
    expect(queue.data.pendingDoctors.nodes).toEqual(
      [a, b, c].map((d) => ({
        id: d.doctorId,
        licenseNumber: d.licenseNumber,
        specialization: 'Dermatology',
        verificationStatus: 'PENDING',
        user: { id: d.id, name: d.name },
      })),
    );
    // Cursor pagination keeps the order.
    const first = (await kit.call(PENDING, { first: 2 }, kit.admin.token)).data.pendingDoctors;
    expect(first.nodes.map((n: { id: string }) => n.id)).toEqual([a.doctorId, b.doctorId]);
    expect(first.pageInfo.hasNextPage).toBe(true);
    const next = (await kit.call(PENDING, { first: 2, after: first.pageInfo.endCursor }, kit.admin.token)).data.pendingDoctors;
    expect(next.nodes.map((n: { id: string }) => n.id)).toEqual([c.doctorId]);

    // Doctor, patient, assistant: FORBIDDEN; anonymous: UNAUTHENTICATED; nothing of the queue leaks.
    const patient = await person('PATIENT');
    const assistant = await person('ASSISTANT');
    for (const token of [a.token, patient.token, assistant.token]) {
      const res = await kit.call(PENDING, { first: 50 }, token);
      expect(code(res)).toBe('FORBIDDEN');
      expect(JSON.stringify(res.data ?? null)).not.toContain(a.licenseNumber);
    }
    const anonymous = await kit.call(PENDING, { first: 50 });
    expect(code(anonymous)).toBe('UNAUTHENTICATED');
    expect(JSON.stringify(anonymous.data ?? null)).not.toContain(a.licenseNumber);

    // Only admins review.
    for (const token of [b.token, patient.token, undefined]) {
      const res = await kit.call(REVIEW, { id: a.doctorId, s: 'APPROVED' }, token);
      expect(code(res)).toBe(token ? 'FORBIDDEN' : 'UNAUTHENTICATED');
    }

    const approved = await kit.call(REVIEW, { id: a.doctorId, s: 'APPROVED' }, kit.admin.token);
    expect(approved.data?.reviewDoctor).toEqual({ id: a.doctorId, verificationStatus: 'APPROVED', reviewReason: null });
    const rejected = await kit.call(REVIEW, { id: c.doctorId, s: 'REJECTED', r: 'Licence scan unreadable' }, kit.admin.token);
    expect(rejected.data?.reviewDoctor.verificationStatus).toBe('REJECTED');
    const after = (await kit.call(PENDING, { first: 50 }, kit.admin.token)).data.pendingDoctors;
    expect(after.totalCount).toBe(1);
    expect(after.nodes.map((n: { id: string }) => n.id)).toEqual([b.doctorId]);

    // Clean up for the other tests in this file: the remaining one leaves the queue too.
    await kit.call(REVIEW, { id: b.doctorId, s: 'REJECTED', r: 'Incomplete' }, kit.admin.token);
    expect((await kit.call(PENDING, { first: 50 }, kit.admin.token)).data.pendingDoctors.nodes).toEqual([]);
  });

  it('a PENDING doctor prepares a workplace but cannot be booked, invite assistants or issue prescriptions', async () => {
    const doctor = await pendingDoctor();
    const workplaceId = await kit.createWorkplace(doctor.token);
    const patient = await person('PATIENT');
    const at = kit.slotAt(3, 10);

    // The patient: the workplace does not exist for them.
    const byPatient = await kit.book(patient.token, workplaceId, at);
    expect(code(byPatient)).toBe('NOT_FOUND');
    // The doctor booking for a patient: told why.
    const byDoctor = await kit.book(doctor.token, workplaceId, at, patient.id);
    expect([code(byDoctor), reason(byDoctor)]).toEqual(['CONFLICT', 'DOCTOR_NOT_APPROVED']);
    // The profile is hidden from the patient, visible to the doctor.
    const READ = `query($id: ID!) { doctor(id: $id) { id verificationStatus } }`;
    expect((await kit.call(READ, { id: doctor.doctorId }, patient.token)).data?.doctor ?? null).toBeNull();
    expect((await kit.call(READ, { id: doctor.doctorId }, doctor.token)).data?.doctor.verificationStatus).toBe('PENDING');

    const assistant = await person('ASSISTANT');
    const INVITE = `mutation($i: InviteAssistantInput!) { inviteAssistant(input: $i) { id status } }`;
    const invite = await kit.call(INVITE, { i: { assistantEmail: assistant.email, workplaceId } }, doctor.token);
    expect(code(invite)).toBe('FORBIDDEN');
    expect(invite.data?.inviteAssistant ?? null).toBeNull();

    // An approved doctor with a confirmed visit whose licence number changes is PENDING again:
    // no prescription until the next review.
    const approved = await kit.createDoctor();
    const visit = await kit.book(patient.token, approved.workplaceId, kit.slotAt(4, 11));
    expect(visit.errors).toBeUndefined();
    const appointmentId = visit.data.bookAppointment.id as string;
    const confirm = await kit.call(
      `mutation($id: ID!) { confirmAppointment(id: $id) { status } }`,
      { id: appointmentId },
      approved.token,
    );
    expect(confirm.data?.confirmAppointment.status).toBe('CONFIRMED');
    const changed = await kit.call(
      PROFILE,
      { i: { specialization: 'Cardiology', licenseNumber: `LIC-${randomUUID().slice(0, 12)}` } },
      approved.token,
    );
    expect(changed.data?.upsertDoctorProfile.verificationStatus).toBe('PENDING');
    const ISSUE = `mutation($i: IssuePrescriptionInput!) { issuePrescription(input: $i) { id status } }`;
    const rx = { i: { appointmentId, items: [{ itemId: randomUUID(), quantity: 10, dosageInstructions: 'one a day' }] } };
    const refused = await kit.call(ISSUE, rx, approved.token);
    expect(code(refused)).toBe('FORBIDDEN');
    const INVITE_AGAIN = { i: { assistantEmail: assistant.email, workplaceId: approved.workplaceId } };
    expect(code(await kit.call(INVITE, INVITE_AGAIN, approved.token))).toBe('FORBIDDEN');
    expect(code(await kit.book(patient.token, approved.workplaceId, kit.slotAt(4, 12)))).toBe('NOT_FOUND');

    // Re-approved: the prescription goes through.
    const again = await kit.call(REVIEW, { id: approved.doctorId, s: 'APPROVED' }, kit.admin.token);
    expect(again.data?.reviewDoctor.verificationStatus).toBe('APPROVED');
    const issued = await kit.call(ISSUE, rx, approved.token);
    expect(issued.errors).toBeUndefined();
    expect(issued.data.issuePrescription.status).toBe('ACTIVE');
  });

  it('reviewDoctor: a rejection needs a reason, which the doctor and admins read and the notice carries; approval makes the doctor bookable', async () => {
    const doctor = await pendingDoctor();
    const workplaceId = await kit.createWorkplace(doctor.token);
    const patient = await person('PATIENT');
    const otherDoctor = await kit.createDoctor();

    for (const r of [undefined, '', '   ']) {
      const res = await kit.call(REVIEW, { id: doctor.doctorId, s: 'REJECTED', r }, kit.admin.token);
      expect(code(res)).toBe('BAD_USER_INPUT');
      expect(JSON.stringify(res.errors)).toContain('reason');
    }
    expect(code(await kit.call(REVIEW, { id: doctor.doctorId, s: 'PENDING' }, kit.admin.token))).toBe('BAD_USER_INPUT');
    expect(code(await kit.call(REVIEW, { id: randomUUID(), s: 'APPROVED' }, kit.admin.token))).toBe('NOT_FOUND');
    // Still in the queue after the refused attempts.
    const queued = (await kit.call(PENDING, { first: 50 }, kit.admin.token)).data.pendingDoctors.nodes;
    expect(queued.map((n: { id: string }) => n.id)).toContain(doctor.doctorId);

    const why = `Licence photo unreadable ${randomUUID().slice(0, 6)}`;
    const rejected = await kit.call(REVIEW, { id: doctor.doctorId, s: 'REJECTED', r: `  ${why} ` }, kit.admin.token);
    expect(rejected.data?.reviewDoctor).toEqual({ id: doctor.doctorId, verificationStatus: 'REJECTED', reviewReason: why });

    const READ = `query($id: ID!) { doctor(id: $id) { id verificationStatus reviewReason } }`;
    expect((await kit.call(READ, { id: doctor.doctorId }, doctor.token)).data?.doctor).toEqual({
      id: doctor.doctorId,
      verificationStatus: 'REJECTED',
      reviewReason: why,
    });
    expect((await kit.call(READ, { id: doctor.doctorId }, kit.admin.token)).data?.doctor.reviewReason).toBe(why);
    // Not the patient's or another doctor's business: the profile is hidden from them.
    for (const token of [patient.token, otherDoctor.token, undefined]) {
      const res = await kit.call(READ, { id: doctor.doctorId }, token);
      expect(JSON.stringify(res)).not.toContain(why);
    }
    expect(code(await kit.book(patient.token, workplaceId, kit.slotAt(5, 10)))).toBe('NOT_FOUND');

    // The doctor is notified (doctor.review_result) and the message carries the reason.
    const history = await until('the rejection notice', async () => {
      const res = await kit.call(HISTORY, {}, doctor.token);
      const nodes = res.data?.notificationHistory.nodes as { template: string; status: string }[] | undefined;
      return nodes?.some((n) => n.template === 'doctor.review_result' && n.status !== 'QUEUED') && nodes;
    });
    expect(history.filter((n) => n.template === 'doctor.review_result')).toEqual([
      { template: 'doctor.review_result', status: 'SENT' },
    ]);
    const mail = await until('the rejection email', async () => mailTo(doctor.email).find((m) => m.includes('REJECTED')));
    expect(mail).toContain(why);
    // Nobody else got it.
    expect(
      ((await kit.call(HISTORY, {}, patient.token)).data?.notificationHistory.nodes as { template: string }[]).map(
        (n) => n.template,
      ),
    ).not.toContain('doctor.review_result');

    // Approval: the reason is gone, the doctor is listed and bookable, and told again.
    const approved = await kit.call(REVIEW, { id: doctor.doctorId, s: 'APPROVED' }, kit.admin.token);
    expect(approved.data?.reviewDoctor).toEqual({ id: doctor.doctorId, verificationStatus: 'APPROVED', reviewReason: null });
    expect((await kit.call(READ, { id: doctor.doctorId }, doctor.token)).data?.doctor.reviewReason).toBeNull();
    expect((await kit.call(READ, { id: doctor.doctorId }, patient.token)).data?.doctor.verificationStatus).toBe('APPROVED');
    const booked = await kit.book(patient.token, workplaceId, kit.slotAt(5, 10));
    expect(booked.errors).toBeUndefined();
    expect(booked.data.bookAppointment.status).toBe('PENDING');
    await until('the approval notice', async () => {
      const res = await kit.call(HISTORY, {}, doctor.token);
      const nodes = (res.data?.notificationHistory.nodes ?? []) as { template: string }[];
      return nodes.filter((n) => n.template === 'doctor.review_result').length === 2;
    });
  });
});
