import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startSupergraph, type TestSupergraph } from '@hc/testing';
import { doctorTestKit } from './support.js';
import { supergraph } from '../../../scripts/subgraphs.ts';

type Res = { data?: any; errors?: { extensions?: Record<string, unknown> }[] };
const code = (r: Res) => r.errors?.[0]?.extensions?.code;
const reason = (r: Res) => r.errors?.[0]?.extensions?.reason;
const plus = (iso: string, minutes: number) => new Date(Date.parse(iso) + minutes * 60_000).toISOString();

describe('waitlist through the gateway', () => {
  let sg: TestSupergraph;
  let kit: ReturnType<typeof doctorTestKit>;
  beforeAll(async () => {
    sg = await startSupergraph(supergraph);
    // Users exist in doctor's read copy; tokens are signed with the key auth publishes.
    kit = doctorTestKit(sg.subgraphs.doctor.orm, sg.keys, sg.url);
  });
  afterAll(async () => {
    await sg?.stop();
  });

  it('a freed slot is offered to the longer-waiting patient; 20 racing accepts and bookings leave one appointment, theirs', async () => {
    const doctor = await kit.createDoctor();
    const at = kit.slotAt(6, 14);
    const booker = await kit.createUser('PATIENT');
    const booked = await kit.book(booker.token, doctor.workplaceId, at);
    expect(booked.errors).toBeUndefined();
    const [first, second] = [await kit.createUser('PATIENT'), await kit.createUser('PATIENT')];
    const JOIN = `mutation($i: JoinWaitlistInput!) { joinWaitlist(input: $i) { id status } }`;
    const window = { workplaceId: doctor.workplaceId, from: at, to: plus(at, 30) };
    const j1 = await kit.call(JOIN, { i: window }, first.token);
    const j2 = await kit.call(JOIN, { i: window }, second.token);
    expect([j1.data?.joinWaitlist.status, j2.data?.joinWaitlist.status]).toEqual(['WAITING', 'WAITING']);

    const cancel = await kit.call(
      `mutation($id: ID!) { cancelAppointment(id: $id) { status } }`,
      { id: booked.data.bookAppointment.id },
      booker.token,
    );
    expect(cancel.data?.cancelAppointment.status).toBe('CANCELLED');
    const MINE = `{ myWaitlist { id status offerExpiresAt offeredSlot { startsAt } workplace { id name } patient { id } } }`;
    const firstView = await kit.call(MINE, {}, first.token);
    expect(firstView.data?.myWaitlist).toEqual([
      expect.objectContaining({
        status: 'OFFERED',
        offeredSlot: { startsAt: at },
        workplace: { id: doctor.workplaceId, name: 'Main clinic' },
      }),
    ]);
    expect((await kit.call(MINE, {}, second.token)).data?.myWaitlist[0]).toMatchObject({ status: 'WAITING', offeredSlot: null });

    const attempt = await kit.book(second.token, doctor.workplaceId, at);
    expect([code(attempt), reason(attempt)]).toEqual(['CONFLICT', 'SLOT_UNAVAILABLE']);

    const others = await Promise.all(Array.from({ length: 10 }, () => kit.createUser('PATIENT')));
    const ACCEPT = `mutation($id: ID!) { acceptWaitlistOffer(id: $id) { id status startsAt patient { id } } }`;
    const results: Res[] = await Promise.all([
      ...Array.from({ length: 10 }, () => kit.call(ACCEPT, { id: j1.data.joinWaitlist.id }, first.token)),
      ...others.map((p) => kit.book(p.token, doctor.workplaceId, at)),
    ]);
    const ok = results.filter((r) => !r.errors);
    expect(ok).toHaveLength(1);
    expect(ok[0].data.acceptWaitlistOffer).toMatchObject({ status: 'PENDING', startsAt: at, patient: { id: first.id } });
    expect(results.filter((r) => r.errors && code(r) !== 'CONFLICT').map((r) => r.errors)).toEqual([]);

    const doctorList = await kit.call(
      `{ myAppointments(status: PENDING) { nodes { startsAt patient { id } } } }`,
      {},
      doctor.token,
    );
    expect(doctorList.data?.myAppointments.nodes).toEqual([{ startsAt: at, patient: { id: first.id } }]);
    expect((await kit.call(MINE, {}, first.token)).data?.myWaitlist[0].status).toBe('BOOKED');
  });
});
