import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Queue } from 'bullmq';
import { QUEUES } from '@hc/jobs';
import { startTestSubgraph, testRedisPrefix, TEST_REDIS_URL, type TestKeys, type TestSubgraph } from '@hc/testing';
import { doctorTestKit } from '../../../test/support.js';
import { applyUserChanged } from '../user/user-copy.consumer.js';
import { doctorSubgraph } from '../../server.js';

let sg: TestSubgraph & { keys: TestKeys };
let kit: ReturnType<typeof doctorTestKit>;
const redisPrefix = testRedisPrefix('doctor');
beforeAll(async () => {
  sg = await startTestSubgraph(doctorSubgraph, { redisPrefix });
  kit = doctorTestKit(sg.orm, sg.keys, sg.graphqlUrl);
});
afterAll(async () => {
  await sg?.stop();
});

const DIRECTORY = `query($f: DoctorFilter, $first: Int) { doctors(filter: $f, first: $first) { totalCount nodes { id specialization } } }`;
const code = (r: { errors?: { extensions?: Record<string, unknown> }[] }) => r.errors?.[0]?.extensions?.code;

describe('doctor profiles and the public directory', () => {
  it('lists APPROVED doctors only, searchable by name (read copy of auth users), specialization and city', async () => {
    const tag = randomUUID().slice(0, 6);
    const amal = await kit.createDoctor({ name: `Amal ${tag} Hassan`, city: `Alexandria${tag}`, specialization: 'Dermatology' });
    await kit.createDoctor({ name: `Omar ${tag}`, city: `Cairo${tag}` });
    const pendingUser = await kit.createUser('DOCTOR', `Pending ${tag}`);
    const pending = await kit.call(
      `mutation { upsertDoctorProfile(input: { specialization: "Dermatology", licenseNumber: "P-${tag}" }) { id verificationStatus } }`,
      {},
      pendingUser.token,
    );
    expect(pending.data.upsertDoctorProfile.verificationStatus).toBe('PENDING');

    const byName = await kit.call(DIRECTORY, { f: { search: `amal ${tag}` } });
    expect(byName.data.doctors).toEqual({ totalCount: 1, nodes: [{ id: amal.doctorId, specialization: 'Dermatology' }] });
    expect((await kit.call(DIRECTORY, { f: { search: tag } })).data.doctors.totalCount).toBe(2);
    expect((await kit.call(DIRECTORY, { f: { city: `alexandria${tag}` } })).data.doctors.nodes).toEqual([
      { id: amal.doctorId, specialization: 'Dermatology' },
    ]);
    expect((await kit.call(DIRECTORY, { f: { search: `Pending ${tag}` } })).data.doctors.totalCount).toBe(0);

    // A name change in auth reaches the directory through user.changed; an older event changes nothing.
    const renamed = `Amira ${tag}`;
    await applyUserChanged(sg.orm, {
      userId: amal.id,
      name: renamed,
      email: amal.email,
      phone: null,
      role: 'DOCTOR',
      isVerified: true,
      updatedAt: new Date(Date.now() + 1000).toISOString(),
    });
    await applyUserChanged(sg.orm, {
      userId: amal.id,
      name: 'Stale',
      email: amal.email,
      phone: null,
      role: 'DOCTOR',
      isVerified: true,
      updatedAt: new Date(Date.now() - 60_000).toISOString(),
    });
    expect((await kit.call(DIRECTORY, { f: { search: renamed } })).data.doctors.totalCount).toBe(1);
    expect((await kit.call(DIRECTORY, { f: { search: 'Stale' } })).data.doctors.totalCount).toBe(0);

    // doctor(id): a pending profile is visible to its doctor and admins only; the license to them only.
    const id = pending.data.upsertDoctorProfile.id;
    expect((await kit.call(`query($id: ID!) { doctor(id: $id) { id } }`, { id })).data.doctor).toBeNull();
    expect(
      (await kit.call(`query($id: ID!) { doctor(id: $id) { licenseNumber } }`, { id }, pendingUser.token)).data.doctor
        .licenseNumber,
    ).toBe(`P-${tag}`);
    expect(code(await kit.call(`query($id: ID!) { doctor(id: $id) { licenseNumber } }`, { id: amal.doctorId }))).toBe(
      'FORBIDDEN',
    );
  });

  it('keeps the read copy from user.changed jobs on the doctor-events queue', async () => {
    const queue = new Queue(QUEUES.doctorEvents, { connection: { url: TEST_REDIS_URL }, prefix: redisPrefix });
    const userId = randomUUID();
    await queue.add('user.changed', {
      userId,
      name: 'Queued Person',
      email: 'q@example.com',
      phone: null,
      role: 'ASSISTANT',
      isVerified: true,
      updatedAt: new Date().toISOString(),
    });
    const until = Date.now() + 10_000;
    let rows: { name: string }[] = [];
    while (Date.now() < until && rows.length === 0) {
      rows = await sg.orm.em.getConnection().execute(`select name from user_copies where user_id = ?`, [userId]);
      await new Promise((r) => setTimeout(r, 50));
    }
    await queue.close();
    expect(rows).toEqual([{ name: 'Queued Person' }]);
  });

  it('admin review: REJECTED needs a reason, the doctor is notified; only admins review; one approved profile per license number', async () => {
    const user = await kit.createUser('DOCTOR');
    const lic = `U-${randomUUID().slice(0, 8)}`;
    const p = await kit.call(
      `mutation($l: String!) { upsertDoctorProfile(input: { specialization: "ENT", licenseNumber: $l }) { id } }`,
      { l: lic },
      user.token,
    );
    const id = p.data.upsertDoctorProfile.id;
    const REVIEW = `mutation($id: ID!, $s: VerificationStatus!, $r: String) { reviewDoctor(doctorId: $id, status: $s, reason: $r) { verificationStatus } }`;
    expect(code(await kit.call(REVIEW, { id, s: 'APPROVED' }, user.token))).toBe('FORBIDDEN');
    expect((await kit.call(REVIEW, { id, s: 'REJECTED' }, kit.admin.token)).errors?.[0]?.extensions).toMatchObject({
      code: 'BAD_USER_INPUT',
      fields: [{ field: 'reason' }],
    });
    expect(
      (await kit.call(REVIEW, { id, s: 'REJECTED', r: 'License scan unreadable' }, kit.admin.token)).data.reviewDoctor
        .verificationStatus,
    ).toBe('REJECTED');
    const note = await sg.orm.em
      .getConnection()
      .execute<{ payload: any }[]>(
        `select payload from outbox where payload->>'template' = 'doctor.review_result' and payload->>'userId' = ?`,
        [user.id],
      );
    expect(note[0].payload.variables).toEqual({ status: 'REJECTED', reason: 'License scan unreadable' });

    // A number another profile has is answered like any other (no probing): PENDING, flagged for review.
    const UPSERT = `mutation($l: String!) { upsertDoctorProfile(input: { specialization: "ENT", licenseNumber: $l }) { verificationStatus } }`;
    const copycat = await kit.createUser('DOCTOR');
    const honest = await kit.createUser('DOCTOR');
    const dup = await kit.call(UPSERT, { l: lic }, copycat.token);
    const fresh = await kit.call(UPSERT, { l: `F-${randomUUID().slice(0, 8)}` }, honest.token);
    expect({ data: dup.data, errors: dup.errors }).toEqual({ data: fresh.data, errors: fresh.errors });
    expect(dup.data.upsertDoctorProfile.verificationStatus).toBe('PENDING');
    const flags = await sg.orm.em
      .getConnection()
      .execute<{ user_id: string; license_shared: boolean }[]>(
        `select user_id, license_shared from doctors where user_id in (?, ?)`,
        [copycat.id, honest.id],
      );
    expect(Object.fromEntries(flags.map((f) => [f.user_id, f.license_shared]))).toEqual({
      [copycat.id]: true,
      [honest.id]: false,
    });
    // The admin may approve one profile per number: the second approval is refused (to the admin only).
    const [{ id: copyId }] = await sg.orm.em
      .getConnection()
      .execute<{ id: string }[]>(`select id from doctors where user_id = ?`, [copycat.id]);
    expect((await kit.call(REVIEW, { id: copyId, s: 'APPROVED' }, kit.admin.token)).errors).toBeUndefined();
    expect((await kit.call(REVIEW, { id, s: 'APPROVED' }, kit.admin.token)).errors?.[0]?.extensions).toMatchObject({
      code: 'CONFLICT',
      reason: 'LICENSE_TAKEN',
    });
    const patient = await kit.createUser('PATIENT');
    expect(
      code(
        await kit.call(
          `mutation { upsertDoctorProfile(input: { specialization: "ENT", licenseNumber: "X-123" }) { id } }`,
          {},
          patient.token,
        ),
      ),
    ).toBe('FORBIDDEN');
  });
  it('an unapproved doctor prepares workplaces but cannot be booked or invite assistants; a rejection tells the doctor why', async () => {
    const user = await kit.createUser('DOCTOR');
    const p = await kit.call(
      `mutation($l: String!) { upsertDoctorProfile(input: { specialization: "ENT", licenseNumber: $l }) { id } }`,
      { l: `N-${randomUUID().slice(0, 8)}` },
      user.token,
    );
    const id = p.data.upsertDoctorProfile.id;
    const workplaceId = await kit.createWorkplace(user.token);
    const patient = await kit.createUser('PATIENT');
    const assistant = await kit.createUser('ASSISTANT');
    const startsAt = new Date(Date.UTC(new Date().getUTCFullYear() + 1, 0, 5, 10, 0)).toISOString();
    const BOOK = `mutation($i: BookAppointmentInput!) { bookAppointment(input: $i) { id } }`;
    // The patient cannot see an unapproved doctor: the workplace does not exist for them.
    expect(code(await kit.call(BOOK, { i: { workplaceId, startsAt } }, patient.token))).toBe('NOT_FOUND');
    const own = await kit.call(BOOK, { i: { workplaceId, startsAt, patientId: patient.id } }, user.token);
    expect(own.errors?.[0]).toMatchObject({
      message: 'This doctor is not approved yet and cannot be booked',
      extensions: { code: 'CONFLICT', reason: 'DOCTOR_NOT_APPROVED' },
    });
    const invite = await kit.call(
      `mutation($i: InviteAssistantInput!) { inviteAssistant(input: $i) { id } }`,
      { i: { assistantEmail: assistant.email, workplaceId } },
      user.token,
    );
    expect(invite.errors?.[0]).toMatchObject({
      message: 'Your doctor profile must be approved before you invite assistants',
      extensions: { code: 'FORBIDDEN' },
    });
    expect(
      await sg.orm.em
        .getConnection()
        .execute(`select count(*)::int as n from appointments where workplace_id = ?`, [workplaceId]),
    ).toEqual([{ n: 0 }]);

    const REVIEW = `mutation($id: ID!, $r: String) { reviewDoctor(doctorId: $id, status: REJECTED, reason: $r) { verificationStatus reviewReason } }`;
    expect((await kit.call(REVIEW, { id, r: ' Licence expired ' }, kit.admin.token)).data.reviewDoctor).toEqual({
      verificationStatus: 'REJECTED',
      reviewReason: 'Licence expired',
    });
    const READ = `query($id: ID!) { doctor(id: $id) { reviewReason } }`;
    expect((await kit.call(READ, { id }, user.token)).data.doctor.reviewReason).toBe('Licence expired');
    // A rejected profile stays hidden from others, and the reason is the doctor's and admins' only.
    expect((await kit.call(READ, { id }, patient.token)).data.doctor).toBeNull();

    // Once approved the same workplace is bookable; the reason is cleared.
    const ok = await kit.call(
      `mutation($id: ID!) { reviewDoctor(doctorId: $id, status: APPROVED) { reviewReason } }`,
      { id },
      kit.admin.token,
    );
    expect(ok.data.reviewDoctor.reviewReason).toBeNull();
    expect((await kit.call(BOOK, { i: { workplaceId, startsAt } }, patient.token)).data.bookAppointment.id).toBeTruthy();
    expect((await kit.call(READ, { id }, patient.token)).data.doctor.reviewReason).toBeNull();
  });
});
