import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import pg from 'pg';
import { pgQuery, verifyChain } from '@hc/audit';
import { startTestSubgraph, testRedisPrefix, type TestKeys, type TestSubgraph } from '@hc/testing';
import { doctorTestKit } from './support.js';
import { doctorSubgraph } from '../src/server.js';

let sg: TestSubgraph & { keys: TestKeys };
let kit: ReturnType<typeof doctorTestKit>;
let db: pg.Client;
beforeAll(async () => {
  // The outbox relay runs, but nobody consumes auth's queue here: the outbox rows are what is checked.
  sg = await startTestSubgraph(doctorSubgraph, { redisPrefix: testRedisPrefix('doctor-audit') });
  kit = doctorTestKit(sg.orm, sg.keys, sg.graphqlUrl);
  db = new pg.Client({ connectionString: sg.db.url });
  await db.connect();
});
afterAll(async () => {
  await db?.end();
  await sg?.stop();
});

const events = async (resourceId: string) =>
  (
    await db.query(
      `select action, resource_type, fields, actor_id, patient_id from audit_events where resource_id = $1 order by seq`,
      [resourceId],
    )
  ).rows;

describe("doctor's audit trail: appointment notes and prescriptions", () => {
  it('records the creation and every read of notes and prescriptions, relays them toward auth, and keeps the chain whole', async () => {
    const doctor = await kit.createDoctor();
    const patient = await kit.createUser('PATIENT');
    const booked = await kit.book(patient.token, doctor.workplaceId, kit.slotAt(3, 10));
    expect(booked.errors).toBeUndefined();
    const appointmentId = booked.data.bookAppointment.id as string;
    // Booking without notes records nothing; notes are added by booking with them.
    expect(await events(appointmentId)).toEqual([]);
    const withNotes = await kit.call(
      `mutation($i: BookAppointmentInput!) { bookAppointment(input: $i) { id notes } }`,
      { i: { workplaceId: doctor.workplaceId, startsAt: kit.slotAt(4, 10), notes: 'chest pain' } },
      patient.token,
    );
    expect(withNotes.errors).toBeUndefined();
    const noted = withNotes.data.bookAppointment.id as string;
    expect(await events(noted)).toEqual([
      { action: 'CREATE', resource_type: 'Appointment', fields: ['notes'], actor_id: patient.id, patient_id: patient.id },
      { action: 'READ', resource_type: 'Appointment', fields: ['notes'], actor_id: patient.id, patient_id: patient.id },
    ]);
    const read = await kit.call(`query($id: ID!) { appointment(id: $id) { notes } }`, { id: noted }, doctor.token);
    expect(read.data.appointment.notes).toBe('chest pain');
    expect((await events(noted)).at(-1)).toMatchObject({ action: 'READ', actor_id: doctor.id, fields: ['notes'] });

    for (const op of ['confirmAppointment', 'completeAppointment']) {
      const r = await kit.call(`mutation($id: ID!) { ${op}(id: $id) { status } }`, { id: appointmentId }, doctor.token);
      expect(r.errors).toBeUndefined();
    }
    const rx = await kit.call(
      `mutation($i: IssuePrescriptionInput!) { issuePrescription(input: $i) { id } }`,
      {
        i: {
          appointmentId,
          items: [{ itemId: randomUUID(), quantity: 2, dosageInstructions: 'twice a day' }],
          notes: 'with food',
        },
      },
      doctor.token,
    );
    expect(rx.errors).toBeUndefined();
    const rxId = rx.data.issuePrescription.id as string;
    const mine = await kit.call(`{ myPrescriptions { nodes { id notes items { quantity } } } }`, {}, patient.token);
    expect(mine.data.myPrescriptions.nodes).toHaveLength(1);
    const cancel = await kit.call(
      `mutation($id: ID!) { cancelPrescription(id: $id, reason: "wrong dose") { id } }`,
      { id: rxId },
      doctor.token,
    );
    expect(cancel.errors).toBeUndefined();
    expect((await events(rxId)).map((e) => [e.action, e.actor_id, [...e.fields].sort()])).toEqual([
      ['CREATE', doctor.id, ['items', 'notes']],
      ['READ', patient.id, ['items', 'notes']],
      ['UPDATE', doctor.id, ['cancellationReason', 'status']],
    ]);
    // A list page of prescriptions without protected fields records nothing.
    const before = Number((await db.query(`select count(*) from audit_events`)).rows[0].count);
    await kit.call(`{ myPrescriptions { nodes { id status } } }`, {}, patient.token);
    expect(Number((await db.query(`select count(*) from audit_events`)).rows[0].count)).toBe(before);

    expect(await verifyChain(pgQuery(db), 'doctor')).toMatchObject({ ok: true, checked: before });
    // Every event left (or is about to leave) through the outbox toward auth, in chain order.
    const relayed = await db.query(
      `select (e->>'seq')::int as seq from outbox o, jsonb_array_elements(o.payload->'events') e where o.topic = 'audit.recorded' order by 1`,
    );
    expect(relayed.rows.map((r) => r.seq)).toEqual(Array.from({ length: before }, (_, i) => i + 1));
  });
});
