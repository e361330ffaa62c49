import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startTestSubgraph, type TestSubgraph, type TestKeys } from '@hc/testing';
import { doctorTestKit } from '../../../test/support.js';
import { doctorSubgraph } from '../../server.js';

let sg: TestSubgraph & { keys: TestKeys };
let kit: ReturnType<typeof doctorTestKit>;
const code = (res: { errors?: { extensions?: Record<string, unknown> }[] }) => res.errors?.[0]?.extensions?.code;
const reason = (res: { errors?: { extensions?: Record<string, unknown> }[] }) => res.errors?.[0]?.extensions?.reason;

beforeAll(async () => {
  sg = await startTestSubgraph(doctorSubgraph);
  kit = doctorTestKit(sg.orm, sg.keys, sg.graphqlUrl);
});
afterAll(async () => {
  await sg?.stop();
});

describe('booking without double booking', () => {
  it('50 concurrent bookings of one slot: exactly 1 succeeds, 49 CONFLICT SLOT_UNAVAILABLE', async () => {
    const doctor = await kit.createDoctor();
    const patients = await Promise.all(Array.from({ length: 50 }, () => kit.createUser('PATIENT')));
    const startsAt = kit.slotAt(3, 11);
    const results = await Promise.all(patients.map((p) => kit.book(p.token, doctor.workplaceId, startsAt)));
    const ok = results.filter((r) => !r.errors);
    const conflicts = results.filter((r) => code(r) === 'CONFLICT' && reason(r) === 'SLOT_UNAVAILABLE');
    const others = results.filter((r) => r.errors && !(code(r) === 'CONFLICT' && reason(r) === 'SLOT_UNAVAILABLE'));
    expect(others.map((r) => r.errors?.[0])).toEqual([]);
    expect(ok).toHaveLength(1);
    expect(conflicts).toHaveLength(49);
    const rows = await sg.orm.em
      .getConnection()
      .execute(`select count(*)::int as n from appointments where doctor_id = ?`, [doctor.doctorId]);
    expect(rows[0].n).toBe(1);
  });

  it('two overlapping reschedules racing: one wins, the other CONFLICT SLOT_UNAVAILABLE', async () => {
    const doctor = await kit.createDoctor();
    const [p1, p2] = await Promise.all([kit.createUser('PATIENT'), kit.createUser('PATIENT')]);
    const a1 = await kit.book(p1.token, doctor.workplaceId, kit.slotAt(4, 9));
    const a2 = await kit.book(p2.token, doctor.workplaceId, kit.slotAt(4, 10));
    expect(a1.errors).toBeUndefined();
    expect(a2.errors).toBeUndefined();
    const target = kit.slotAt(4, 14);
    const RESCHEDULE = `mutation($id: ID!, $at: DateTime!) { rescheduleAppointment(id: $id, startsAt: $at) { id startsAt } }`;
    const results = await Promise.all([
      kit.call(RESCHEDULE, { id: a1.data.bookAppointment.id, at: target }, p1.token),
      kit.call(RESCHEDULE, { id: a2.data.bookAppointment.id, at: target }, p2.token),
    ]);
    expect(results.filter((r) => !r.errors)).toHaveLength(1);
    const loser = results.find((r) => r.errors)!;
    expect(code(loser)).toBe('CONFLICT');
    expect(reason(loser)).toBe('SLOT_UNAVAILABLE');
  });

  it('a patient cannot hold two doctors at the same time (sequential and racing)', async () => {
    const [d1, d2, d3] = await Promise.all([kit.createDoctor(), kit.createDoctor(), kit.createDoctor()]);
    const patient = await kit.createUser('PATIENT');
    const at = kit.slotAt(5, 12);
    expect((await kit.book(patient.token, d1.workplaceId, at)).errors).toBeUndefined();
    const second = await kit.book(patient.token, d2.workplaceId, at);
    expect(code(second)).toBe('CONFLICT');
    expect(reason(second)).toBe('SLOT_UNAVAILABLE');

    const later = kit.slotAt(5, 15);
    const race = await Promise.all([
      kit.book(patient.token, d2.workplaceId, later),
      kit.book(patient.token, d3.workplaceId, later),
    ]);
    expect(race.filter((r) => !r.errors)).toHaveLength(1);
    expect(reason(race.find((r) => r.errors)!)).toBe('SLOT_UNAVAILABLE');
  });

  it('rejects a start that is not on a slot, and a past one', async () => {
    const doctor = await kit.createDoctor();
    const patient = await kit.createUser('PATIENT');
    const offSlot = new Date(Date.parse(kit.slotAt(2, 10)) + 7 * 60_000).toISOString();
    const res = await kit.book(patient.token, doctor.workplaceId, offSlot);
    expect(code(res)).toBe('BAD_USER_INPUT');
    expect(res.errors?.[0]?.extensions?.fields).toEqual([expect.objectContaining({ field: 'startsAt' })]);
    expect(code(await kit.book(patient.token, doctor.workplaceId, kit.slotAt(-1, 10)))).toBe('BAD_USER_INPUT');
  });
});

describe('status machine, notifications and reminders', () => {
  it('moves PENDING → CONFIRMED → COMPLETED; illegal transitions answer CONFLICT; patients cannot confirm', async () => {
    const doctor = await kit.createDoctor();
    const patient = await kit.createUser('PATIENT');
    const booked = await kit.book(patient.token, doctor.workplaceId, kit.slotAt(6, 10));
    const id = booked.data.bookAppointment.id;
    const op = (name: string, token: string) => kit.call(`mutation($id: ID!) { ${name}(id: $id) { status } }`, { id }, token);

    expect(code(await op('confirmAppointment', patient.token))).toBe('FORBIDDEN');
    expect(code(await op('completeAppointment', doctor.token))).toBe('CONFLICT');
    expect((await op('confirmAppointment', doctor.token)).data?.confirmAppointment.status).toBe('CONFIRMED');
    expect(code(await op('confirmAppointment', doctor.token))).toBe('CONFLICT');
    expect((await op('completeAppointment', doctor.token)).data?.completeAppointment.status).toBe('COMPLETED');
    const completed = await sg.orm.em
      .getConnection()
      .execute<{ user_id: string }[]>(
        `select payload->>'userId' as user_id from outbox where payload->>'template' = 'appointment.completed' and payload->'variables'->>'appointmentId' = ?`,
        [id],
      );
    expect(completed.map((r) => r.user_id).sort()).toEqual([patient.id, doctor.id].sort());
    const cancel = await kit.call(
      `mutation($id: ID!) { cancelAppointment(id: $id, reason: "x") { status } }`,
      { id },
      patient.token,
    );
    expect(code(cancel)).toBe('CONFLICT');
  });

  it('notifies patient and doctor through the outbox, schedules a reminder 24 h before, moves it on reschedule and cancels it on cancel', async () => {
    const doctor = await kit.createDoctor();
    const patient = await kit.createUser('PATIENT');
    const startsAt = kit.slotAt(7, 10);
    const id = (await kit.book(patient.token, doctor.workplaceId, startsAt)).data.bookAppointment.id;
    const outbox = async () =>
      (
        await sg.orm.em
          .getConnection()
          .execute<{ topic: string; payload: any }[]>(
            `select topic, payload from outbox where payload::text like ? order by created_at`,
            [`%${id}%`],
          )
      ).map((r) => ({ topic: r.topic, ...r.payload }));

    let rows = await outbox();
    const booked = rows.filter((r) => r.template === 'appointment.booked');
    expect(booked.map((r) => r.userId).sort()).toEqual([patient.id, doctor.id].sort());
    expect(booked[0].variables).toMatchObject({
      appointmentId: id,
      doctorName: doctor.name,
      patientName: patient.name,
      timeZone: 'UTC',
    });
    const reminders = rows.filter((r) => r.template === 'appointment.reminder');
    expect(reminders).toHaveLength(2);
    expect(Date.parse(reminders[0].sendAt)).toBe(Date.parse(startsAt) - 24 * 3600_000);

    const moved = kit.slotAt(8, 11);
    const res = await kit.call(
      `mutation($id: ID!, $at: DateTime!) { rescheduleAppointment(id: $id, startsAt: $at) { startsAt } }`,
      { id, at: moved },
      patient.token,
    );
    expect(res.errors).toBeUndefined();
    rows = await outbox();
    const cancelledReminders = rows.filter((r) => r.topic === 'notification.reschedule' && !r.sendAt);
    expect(cancelledReminders.map((r) => r.idempotencyKey).sort()).toEqual(reminders.map((r) => r.idempotencyKey).sort());
    const newReminders = rows.filter(
      (r) => r.template === 'appointment.reminder' && !reminders.some((o) => o.idempotencyKey === r.idempotencyKey),
    );
    expect(newReminders).toHaveLength(2);
    expect(Date.parse(newReminders[0].sendAt)).toBe(Date.parse(moved) - 24 * 3600_000);
    expect(rows.filter((r) => r.template === 'appointment.rescheduled')).toHaveLength(2);

    await kit.call(
      `mutation($id: ID!) { cancelAppointment(id: $id, reason: "ill") { status cancellationReason } }`,
      { id },
      doctor.token,
    );
    rows = await outbox();
    expect(rows.filter((r) => r.template === 'appointment.cancelled').map((r) => r.variables.reason)).toEqual(['ill', 'ill']);
    const cancelled = rows.filter((r) => r.topic === 'notification.reschedule' && !r.sendAt).map((r) => r.idempotencyKey);
    for (const r of newReminders) expect(cancelled).toContain(r.idempotencyKey);
    const care = rows.filter((r) => r.topic === 'care.changed');
    // care.changed names an appointment only when it grants: here the booking, the patient's own.
    expect(care.map((r) => r.staff.map((st: any) => st.grantedBy))).toEqual([['PATIENT']]);
    const careRows = await sg.orm.em
      .getConnection()
      .execute<{ payload: any }[]>(
        `select payload from outbox where topic = 'care.changed' and payload->>'patientId' = ? order by payload->>'occurredAt'`,
        [patient.id],
      );
    // Booking grants the doctor care of the patient; cancelling the only appointment withdraws it.
    expect(careRows.map((r) => r.payload)).toMatchObject([
      { patientId: patient.id, staffUserIds: [doctor.id], active: true },
      { patientId: patient.id, staffUserIds: [doctor.id], active: false, staff: [{ staffUserId: doctor.id, active: false }] },
    ]);
    expect(careRows[1].payload.staff[0].grantedBy).toBeUndefined();
    expect(careRows[1].payload.occurredAt > careRows[0].payload.occurredAt).toBe(true);
  });
});

describe('who sees and acts on appointments', () => {
  it("patient A reading patient B's appointment gets NOT_FOUND; participants and admins see it", async () => {
    const doctor = await kit.createDoctor();
    const [a, b] = await Promise.all([kit.createUser('PATIENT'), kit.createUser('PATIENT')]);
    const id = (await kit.book(b.token, doctor.workplaceId, kit.slotAt(9, 10))).data.bookAppointment.id;
    const read = (token: string) => kit.call(`query($id: ID!) { appointment(id: $id) { id status } }`, { id }, token);
    const denied = await read(a.token);
    expect(code(denied)).toBe('NOT_FOUND');
    expect((await read(b.token)).data?.appointment.id).toBe(id);
    expect((await read(doctor.token)).data?.appointment.id).toBe(id);
    expect((await read(kit.admin.token)).data?.appointment.id).toBe(id);
    const mine = await kit.call(`{ myAppointments { totalCount nodes { id } } }`, {}, a.token);
    expect(mine.data?.myAppointments.totalCount).toBe(0);
  });

  it('an assistant acting on a workplace they are not assigned to is refused', async () => {
    const [d1, d2] = await Promise.all([kit.createDoctor(), kit.createDoctor()]);
    const assistant = await kit.createUser('ASSISTANT');
    const patient = await kit.createUser('PATIENT');
    const invite = await kit.call(
      `mutation($i: InviteAssistantInput!) { inviteAssistant(input: $i) { id status } }`,
      { i: { assistantEmail: assistant.email, workplaceId: d1.workplaceId } },
      d1.token,
    );
    expect(invite.errors).toBeUndefined();
    const accepted = await kit.call(
      `mutation($id: ID!) { respondToInvite(inviteId: $id, accept: true) { status } }`,
      { id: invite.data.inviteAssistant.id },
      assistant.token,
    );
    expect(accepted.data?.respondToInvite.status).toBe('ACCEPTED');

    // Assigned workplace: allowed.
    const ok = await kit.book(assistant.token, d1.workplaceId, kit.slotAt(10, 10), patient.id);
    expect(ok.errors).toBeUndefined();
    const confirm = await kit.call(
      `mutation($id: ID!) { confirmAppointment(id: $id) { status } }`,
      { id: ok.data.bookAppointment.id },
      assistant.token,
    );
    expect(confirm.data?.confirmAppointment.status).toBe('CONFIRMED');

    // Other doctor's workplace: refused, and its appointments are invisible.
    const refused = await kit.book(assistant.token, d2.workplaceId, kit.slotAt(10, 11), patient.id);
    expect(code(refused)).toBe('FORBIDDEN');
    const other = await kit.book(patient.token, d2.workplaceId, kit.slotAt(10, 12));
    const confirmOther = await kit.call(
      `mutation($id: ID!) { confirmAppointment(id: $id) { status } }`,
      { id: other.data.bookAppointment.id },
      assistant.token,
    );
    expect(code(confirmOther)).toBe('NOT_FOUND');

    const patients = await kit.call(`{ myPatients { totalCount nodes { id } } }`, {}, assistant.token);
    expect(patients.data?.myPatients).toEqual({ totalCount: 1, nodes: [{ id: patient.id }] });
  });
});
