import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startTestSubgraph, type TestSubgraph, type TestKeys } from '@hc/testing';
import { doctorTestKit } from '../../../test/support.js';
import { doctorSubgraph } from '../../server.js';

let sg: TestSubgraph & { keys: TestKeys };
let kit: ReturnType<typeof doctorTestKit>;
const reason = (res: { errors?: { extensions?: Record<string, unknown> }[] }) => res.errors?.[0]?.extensions?.reason;

beforeAll(async () => {
  sg = await startTestSubgraph(doctorSubgraph, { env: { PATIENT_MAX_UPCOMING_APPOINTMENTS: '3' } });
  kit = doctorTestKit(sg.orm, sg.keys, sg.graphqlUrl);
});
afterAll(async () => {
  await sg?.stop();
});

describe('upcoming appointments per patient (cap 3)', () => {
  it('20 parallel bookings of distinct slots by one patient: exactly 3 succeed, 17 CONFLICT LIMIT_REACHED', async () => {
    const doctor = await kit.createDoctor();
    const patient = await kit.createUser('PATIENT');
    const slots = Array.from({ length: 20 }, (_, i) => kit.slotAt(1 + (i % 10), i < 10 ? 9 : 14));
    const results = await Promise.all(slots.map((at) => kit.book(patient.token, doctor.workplaceId, at)));
    expect(results.filter((r) => !r.errors)).toHaveLength(3);
    expect(results.filter((r) => r.errors).map(reason)).toEqual(Array(17).fill('LIMIT_REACHED'));
    const [row] = await sg.orm.em
      .getConnection()
      .execute(`select count(*)::int as n from appointments where patient_id = ?`, [patient.id]);
    expect(row.n).toBe(3);

    // Staff booking for that patient meets the same cap; another patient is not affected.
    const byStaff = await kit.book(doctor.token, doctor.workplaceId, kit.slotAt(12, 9), patient.id);
    expect(reason(byStaff)).toBe('LIMIT_REACHED');
    const other = await kit.createUser('PATIENT');
    expect((await kit.book(other.token, doctor.workplaceId, kit.slotAt(12, 9))).errors).toBeUndefined();

    // A cancelled appointment no longer counts.
    const first = results.find((r) => !r.errors)!.data.bookAppointment.id;
    const cancelled = await kit.call(
      `mutation($id: ID!) { cancelAppointment(id: $id) { status } }`,
      { id: first },
      patient.token,
    );
    expect(cancelled.errors).toBeUndefined();
    expect((await kit.book(patient.token, doctor.workplaceId, kit.slotAt(13, 9))).errors).toBeUndefined();
  });
});
