import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startSupergraph, type TestSupergraph } from '@hc/testing';
import { applyUserChanged, doctorTestKit } from '@hc/doctor-subgraph/testing';
import { supergraph } from '../../scripts/subgraphs.ts';

// Consent to care access end to end: booking in doctor → care.changed through the outbox and
// BullMQ → auth's consent rows → what staff may read through the gateway.

const PROFILE = `query($id: ID!) { appointment(id: $id) { patient { name patientProfile { medicalHistory } } } }`;
const TEAM = `{ myCareTeam { id status reason grantedAt expiresAt staff { id } patient { id } } }`;
const RESPOND = `mutation($id: ID!, $accept: Boolean!) { respondToCareAccess(id: $id, accept: $accept) { id status grantedAt } }`;
const REVOKE = `mutation($id: ID!) { revokeCareAccess(id: $id) { id status } }`;

describe('care access by consent (through the gateway)', () => {
  let sg: TestSupergraph;
  let kit: ReturnType<typeof doctorTestKit>;

  beforeAll(async () => {
    sg = await startSupergraph(supergraph);
    kit = doctorTestKit(sg.subgraphs.doctor.orm, sg.keys, sg.url);
  });
  afterAll(async () => {
    await sg?.stop();
  });

  const authSql = (sql: string, params: unknown[] = []) => sg.subgraphs.auth.orm.em.getConnection().execute(sql, params);
  const doctorSql = (sql: string, params: unknown[] = []) => sg.subgraphs.doctor.orm.em.getConnection().execute(sql, params);

  /** A user in auth's database (with a health profile for patients) and in doctor's read copy. */
  async function user(role: 'PATIENT' | 'ASSISTANT', name = `${role.toLowerCase()} ${randomUUID().slice(0, 6)}`) {
    const id = randomUUID();
    const email = `${role.toLowerCase()}.${id.slice(0, 8)}@example.com`;
    await authSql(`insert into users (id, name, email, password_hash, role, is_verified) values (?, ?, ?, 'x', ?, true)`, [
      id,
      name,
      email,
      role,
    ]);
    if (role === 'PATIENT') await authSql(`insert into patient_profiles (user_id, medical_history) values (?, 'asthma')`, [id]);
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
  }

  async function doctor(name: string) {
    const d = await kit.createDoctor({ name });
    await authSql(`insert into users (id, name, email, password_hash, role, is_verified) values (?, ?, ?, 'x', 'DOCTOR', true)`, [
      d.id,
      name,
      d.email,
    ]);
    return d;
  }

  /** What `token` reads of the appointment's patient: the medical history, or the error code. */
  async function profileAs(token: string, appointmentId: string): Promise<{ name?: string; health: string | null }> {
    const res = await sg.query(PROFILE, { id: appointmentId }, token);
    const patient = res.data?.appointment?.patient;
    const code = res.errors?.[0]?.extensions?.code as string | undefined;
    return { name: patient?.name, health: patient?.patientProfile?.medicalHistory ?? code ?? null };
  }

  async function until<T>(read: () => Promise<T>, ok: (v: T) => boolean, what: string): Promise<T> {
    const deadline = Date.now() + 15_000;
    for (;;) {
      const v = await read();
      if (ok(v)) return v;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(v)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  const team = async (token: string) => {
    const res = await sg.query(TEAM, {}, token);
    expect(res.errors).toBeUndefined();
    return res.data!.myCareTeam as {
      id: string;
      status: string;
      reason: string;
      expiresAt: string | null;
      staff: { id: string };
    }[];
  };

  const book = async (token: string, workplaceId: string, startsAt: string, patientId?: string) => {
    const res = await kit.book(token, workplaceId, startsAt, patientId);
    expect(res.errors).toBeUndefined();
    return res.data.bookAppointment.id as string;
  };

  it("the patient's own booking opens access at once; myCareTeam lists it with its reason", async () => {
    const dr = await doctor('Nour');
    const pat = await user('PATIENT');
    const appt = await book(pat.token, dr.workplaceId, kit.slotAt(3, 9));
    expect(
      (
        await until(
          () => profileAs(dr.token, appt),
          (v) => v.health === 'asthma',
          'access',
        )
      ).name,
    ).toBe(pat.name);
    const rows = await team(pat.token);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ status: 'ACTIVE', staff: { id: dr.id } });
    expect(rows[0].reason).toMatch(/^appointment \d{4}-\d\d-\d\d 09:00 with Dr Nour$/);
    // Expires the configured 90 days after the visit.
    const days = (Date.parse(rows[0].expiresAt!) - Date.parse(kit.slotAt(3, 9))) / 86_400_000;
    expect(Math.round(days)).toBe(90);
  });

  it('a booking by staff asks the patient first; accept opens, revoke closes; nobody else can answer', async () => {
    const dr = await doctor('Samir');
    const pat = await user('PATIENT');
    const other = await user('PATIENT');
    const appt = await book(dr.token, dr.workplaceId, kit.slotAt(4, 10), pat.id);
    const [pending] = await until(
      () => team(pat.token),
      (rows) => rows.length === 1,
      'the request',
    );
    expect(pending).toMatchObject({ status: 'PENDING', staff: { id: dr.id } });
    // The appointment works, staff see the name, not the health data.
    const closed = await profileAs(dr.token, appt);
    expect(closed).toEqual({ name: pat.name, health: 'FORBIDDEN' });

    const foreign = await sg.query(RESPOND, { id: pending.id, accept: true }, other.token);
    expect(foreign.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    expect((await profileAs(dr.token, appt)).health).toBe('FORBIDDEN');

    const accepted = await sg.query(RESPOND, { id: pending.id, accept: true }, pat.token);
    expect(accepted.errors).toBeUndefined();
    expect(accepted.data!.respondToCareAccess).toMatchObject({ status: 'ACTIVE' });
    expect((await profileAs(dr.token, appt)).health).toBe('asthma');
    const again = await sg.query(RESPOND, { id: pending.id, accept: false }, pat.token);
    expect(again.errors?.[0]?.extensions).toMatchObject({ code: 'CONFLICT', reason: 'INVALID_STATUS' });

    expect((await sg.query(REVOKE, { id: pending.id }, other.token)).errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    const revoked = await sg.query(REVOKE, { id: pending.id }, pat.token);
    expect(revoked.data!.revokeCareAccess).toMatchObject({ status: 'REVOKED' });
    expect((await profileAs(dr.token, appt)).health).toBe('FORBIDDEN');
    expect(await team(pat.token)).toEqual([]);

    // A later event for an appointment booked before the revoke does not reopen it.
    const confirm = await kit.call(`mutation($id: ID!) { confirmAppointment(id: $id) { id } }`, { id: appt }, dr.token);
    expect(confirm.errors).toBeUndefined();
    await kit.call(`mutation($id: ID!) { completeAppointment(id: $id) { id } }`, { id: appt }, dr.token);
    await new Promise((r) => setTimeout(r, 500));
    expect((await profileAs(dr.token, appt)).health).toBe('FORBIDDEN');
  });

  it('closes access once the configured time after the last completed visit has passed', async () => {
    const dr = await doctor('Hala');
    const pat = await user('PATIENT');
    const appt = await book(pat.token, dr.workplaceId, kit.slotAt(5, 11));
    await until(
      () => profileAs(dr.token, appt),
      (v) => v.health === 'asthma',
      'access',
    );
    expect(
      (await kit.call(`mutation($id: ID!) { confirmAppointment(id: $id) { id } }`, { id: appt }, dr.token)).errors,
    ).toBeUndefined();
    // The visit took place 91 days ago (CARE_ACCESS_DAYS is 90).
    await doctorSql(
      `update appointments set starts_at = now() - interval '91 days', ends_at = now() - interval '91 days' + interval '30 minutes' where id = ?`,
      [appt],
    );
    expect(
      (await kit.call(`mutation($id: ID!) { completeAppointment(id: $id) { id } }`, { id: appt }, dr.token)).errors,
    ).toBeUndefined();
    await until(
      () => profileAs(dr.token, appt),
      (v) => v.health === 'FORBIDDEN',
      'expiry',
    );
    expect(await team(pat.token)).toEqual([]);
    const [row] = await authSql(`select status, expires_at < now() as past from care_access where patient_id = ?`, [pat.id]);
    expect(row.past).toBe(true);
    expect(['ACTIVE', 'EXPIRED']).toContain(row.status); // EXPIRED on read either way
  });

  it('a rejected doctor loses access', async () => {
    const dr = await doctor('Karim');
    const pat = await user('PATIENT');
    const appt = await book(pat.token, dr.workplaceId, kit.slotAt(6, 12));
    await until(
      () => profileAs(dr.token, appt),
      (v) => v.health === 'asthma',
      'access',
    );
    const review = await kit.call(
      `mutation($id: ID!) { reviewDoctor(doctorId: $id, status: REJECTED, reason: "licence withdrawn") { verificationStatus } }`,
      { id: dr.doctorId },
      kit.admin.token,
    );
    expect(review.errors).toBeUndefined();
    await until(
      () => profileAs(dr.token, appt),
      (v) => v.health !== 'asthma',
      'the rejection',
    );
    const [row] = await authSql(`select status from care_access where patient_id = ? and staff_user_id = ?`, [pat.id, dr.id]);
    expect(row.status).toBe('REVOKED');
  });

  it('a newly assigned assistant gets the patients with upcoming appointments, not past ones', async () => {
    const dr = await doctor('Mona');
    const past = await user('PATIENT');
    const upcoming = await user('PATIENT');
    const old = await book(past.token, dr.workplaceId, kit.slotAt(7, 13));
    await kit.call(`mutation($id: ID!) { confirmAppointment(id: $id) { id } }`, { id: old }, dr.token);
    await doctorSql(
      `update appointments set starts_at = now() - interval '5 days', ends_at = now() - interval '5 days' + interval '30 minutes' where id = ?`,
      [old],
    );
    await kit.call(`mutation($id: ID!) { completeAppointment(id: $id) { id } }`, { id: old }, dr.token);
    const next = await book(upcoming.token, dr.workplaceId, kit.slotAt(8, 14));
    await until(
      () => profileAs(dr.token, next),
      (v) => v.health === 'asthma',
      'doctor access',
    );
    expect((await profileAs(dr.token, old)).health).toBe('asthma'); // the doctor keeps the recent past patient

    const asst = await user('ASSISTANT');
    const invite = await kit.call(
      `mutation($i: InviteAssistantInput!) { inviteAssistant(input: $i) { id } }`,
      { i: { workplaceId: dr.workplaceId, assistantEmail: asst.email } },
      dr.token,
    );
    expect(invite.errors).toBeUndefined();
    const accept = await kit.call(
      `mutation($id: ID!) { respondToInvite(inviteId: $id, accept: true) { status } }`,
      { id: invite.data.inviteAssistant.id },
      asst.token,
    );
    expect(accept.errors).toBeUndefined();
    await until(
      () => profileAs(asst.token, next),
      (v) => v.health === 'asthma',
      'assistant access',
    );
    // Both patients' states were published in the same transaction: the past one is applied too.
    const closed = await profileAs(asst.token, old);
    expect(closed.health).toBe('FORBIDDEN');
    expect(closed.name).toBe(past.name);
    const staff = (await team(upcoming.token)).map((r) => r.staff.id).sort();
    expect(staff).toEqual([dr.id, asst.id].sort());
  });
});
