import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startSupergraph, type TestSupergraph } from '@hc/testing';
import { applyUserChanged, seedDirectory } from './support.js';
import { supergraph, type SubgraphName } from '../../../scripts/subgraphs.ts';

const DIRECTORY = `query($first: Int, $spec: String) {
  doctors(first: $first, filter: { specialization: $spec }) {
    totalCount
    nodes { id specialization user { name doctorProfile { id } } workplaces { name timeZone address { city } } }
  }
}`;

describe('doctor federation through the gateway', () => {
  let sg: TestSupergraph<SubgraphName>;
  let seeded: Awaited<ReturnType<typeof seedDirectory>>;
  beforeAll(async () => {
    // The slot test asks 100 doctors for a week of slots: far above the public cost limit, which is
    // not what it measures (gateway/test/limits.e2e.test.ts does).
    sg = await startSupergraph(supergraph, { envFor: { gateway: { QUERY_MAX_COST: '100000000' } } });
    seeded = await seedDirectory(sg, 100);
  });
  afterAll(async () => {
    await sg?.stop();
  });

  it('resolves Doctor.user and User.doctorProfile with the same number of SQL statements for 10 and 100 doctors', async () => {
    const measure = async (first: number) => {
      const before = sg.statements();
      const res = await sg.query(DIRECTORY, { first, spec: seeded.specialization });
      expect(res.errors).toBeUndefined();
      expect(res.data!.doctors.nodes).toHaveLength(first);
      for (const n of res.data!.doctors.nodes) {
        expect(n.user.name).toMatch(/^Dr /);
        expect(n.user.doctorProfile.id).toBe(n.id);
        expect(n.workplaces).toHaveLength(1);
      }
      const after = sg.statements();
      return Object.keys(after).reduce((sum, k) => sum + after[k as keyof typeof after] - before[k as keyof typeof before], 0);
    };
    const small = await measure(10);
    const large = await measure(100);
    expect(small).toBeGreaterThan(0);
    expect(large).toBe(small);
  });

  it('batches availableSlots across a page: statements are equal for 10 and 100 doctors', async () => {
    const from = new Date(Date.now() + 24 * 3600_000).toISOString();
    const to = new Date(Date.now() + 8 * 24 * 3600_000).toISOString();
    const Q = `query($first: Int, $spec: String, $from: DateTime!, $to: DateTime!) {
      doctors(first: $first, filter: { specialization: $spec }) { nodes { id availableSlots(from: $from, to: $to) { startsAt } } }
    }`;
    const measure = async (first: number) => {
      const before = sg.statements().doctor;
      const res = await sg.query(Q, { first, spec: seeded.specialization, from, to });
      expect(res.errors).toBeUndefined();
      expect(res.data!.doctors.nodes[0].availableSlots.length).toBeGreaterThan(0);
      return sg.statements().doctor - before;
    };
    expect(await measure(100)).toBe(await measure(10));
  });

  it("Appointment.patient resolves through auth for the doctor; User.appointments is the user's own; others get NOT_FOUND", async () => {
    const doc = seeded.doctors[0];
    const patientId = randomUUID();
    const email = `pat.${patientId.slice(0, 8)}@example.com`;
    await sg.subgraphs.auth.orm.em
      .getConnection()
      .execute(
        `insert into users (id, name, email, password_hash, role, is_verified) values (?, 'Federated Pat', ?, 'x', 'PATIENT', true)`,
        [patientId, email],
      );
    await applyUserChanged(sg.subgraphs.doctor.orm, {
      userId: patientId,
      name: 'Federated Pat',
      email,
      phone: null,
      role: 'PATIENT',
      isVerified: true,
      updatedAt: new Date().toISOString(),
    });
    const patientToken = sg.tokenFor({ id: patientId, role: 'PATIENT', email });
    const doctorToken = sg.tokenFor({ id: doc.userId, role: 'DOCTOR' });
    const wp = await sg.query(`query($id: ID!) { doctor(id: $id) { workplaces { id } } }`, { id: doc.doctorId });
    // Next Monday 09:00 Cairo.
    const d = new Date();
    d.setUTCDate(d.getUTCDate() + ((8 - d.getUTCDay()) % 7 || 7));
    const slots = await sg.query(
      `query($id: ID!, $from: DateTime!, $to: DateTime!) { doctor(id: $id) { availableSlots(from: $from, to: $to) { startsAt } } }`,
      { id: doc.doctorId, from: d.toISOString().slice(0, 10) + 'T00:00:00Z', to: d.toISOString().slice(0, 10) + 'T23:59:00Z' },
    );
    const startsAt = slots.data!.doctor.availableSlots[0].startsAt;
    const booked = await sg.query(
      `mutation($i: BookAppointmentInput!) { bookAppointment(input: $i) { id } }`,
      { i: { workplaceId: wp.data!.doctor.workplaces[0].id, startsAt } },
      patientToken,
    );
    expect(booked.errors).toBeUndefined();
    const id = booked.data!.bookAppointment.id;

    const seen = await sg.query(
      `query($id: ID!) { appointment(id: $id) { patient { name } doctor { user { name } } } }`,
      { id },
      doctorToken,
    );
    expect(seen.errors).toBeUndefined();
    expect(seen.data!.appointment).toEqual({ patient: { name: 'Federated Pat' }, doctor: { user: { name: doc.name } } });

    const mine = await sg.query(`{ me { appointments { totalCount nodes { id } } } }`, {}, patientToken);
    expect(mine.errors).toBeUndefined();
    expect(mine.data!.me.appointments).toEqual({ totalCount: 1, nodes: [{ id }] });

    const stranger = sg.tokenFor({ id: randomUUID(), role: 'PATIENT' });
    const denied = await sg.query(`query($id: ID!) { appointment(id: $id) { id } }`, { id }, stranger);
    expect(denied.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
  });
});
