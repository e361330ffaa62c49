import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DateTime } from 'luxon';
import { startTestSubgraph, testRedisPrefix, until } from '@hc/testing';
import { appointmentEventsChannel, slotEventsChannel, type AppointmentChangedEvent, type SlotReleasedEvent } from '@hc/graphql';
import { doctorTestKit } from '../../../test/support.js';
import { doctorSubgraph } from '../../server.js';
import { expireOffer } from './waitlist.service.js';

type Res = { data?: any; errors?: { message?: string; extensions?: Record<string, unknown> }[] };
const code = (res: Res) => res.errors?.[0]?.extensions?.code;
const reason = (res: Res) => res.errors?.[0]?.extensions?.reason;
const fieldOf = (res: Res) => (res.errors?.[0]?.extensions?.fields as { field: string }[] | undefined)?.[0]?.field;

const JOIN = `mutation($i: JoinWaitlistInput!) { joinWaitlist(input: $i) { id status from to createdAt } }`;
const MINE = `{ myWaitlist { id status from to offerExpiresAt offeredSlot { workplaceId startsAt endsAt } patient { id } workplace { id } } }`;
const LEAVE = `mutation($id: ID!) { leaveWaitlist(id: $id) { id status } }`;
const ACCEPT = `mutation($id: ID!) { acceptWaitlistOffer(id: $id) { id status startsAt patient { id } } }`;
const CANCEL = `mutation($id: ID!) { cancelAppointment(id: $id) { id status } }`;
const MY_APPOINTMENTS = `{ myAppointments { totalCount nodes { id status startsAt } } }`;

const plus = (iso: string, minutes: number) => new Date(Date.parse(iso) + minutes * 60_000).toISOString();

/** A subgraph, its factories and waitlist helpers. */
async function setup(env: Record<string, string> = {}) {
  const redisPrefix = testRedisPrefix('waitlist');
  const sg = await startTestSubgraph(doctorSubgraph, { env, redisPrefix });
  // What appointmentUpdated subscribers are sent (the gateway relays this channel).
  const heard: AppointmentChangedEvent[] = [];
  // What slotReleased subscribers are sent.
  const released: SlotReleasedEvent[] = [];
  const subscriber = sg.redis.duplicate();
  await subscriber.subscribe(appointmentEventsChannel(redisPrefix), slotEventsChannel(redisPrefix));
  subscriber.on('message', (channel, message) =>
    (channel === slotEventsChannel(redisPrefix) ? released : heard).push(JSON.parse(message)),
  );
  const releasedFor = (doctorId: string) =>
    released
      .filter((e) => e.doctorId === doctorId)
      .map((e) => ({ workplaceId: e.workplaceId, startsAt: e.startsAt, endsAt: e.endsAt }));
  /** Waits until the events published so far (a marker published last) have arrived. */
  const settle = async () => {
    const marker = { doctorId: 'marker', n: Math.random() };
    await sg.redis.publish(slotEventsChannel(redisPrefix), JSON.stringify(marker));
    await until('published events to arrive', async () => released.some((e) => (e as unknown as typeof marker).n === marker.n));
  };
  const stop = async () => {
    await subscriber.quit();
    await sg.stop();
  };
  const kit = doctorTestKit(sg.orm, sg.keys, sg.graphqlUrl);
  const sql = <T = any>(q: string, params: unknown[] = []) => sg.orm.em.getConnection().execute<T[]>(q, params);
  const entry = async (token: string, id: string) =>
    ((await kit.call(MINE, {}, token)).data?.myWaitlist as any[]).find((e) => e.id === id);
  const join = async (token: string, workplaceId: string, from: string, to: string) => {
    const res = await kit.call(JOIN, { i: { workplaceId, from, to } }, token);
    if (res.errors) throw new Error(JSON.stringify(res.errors));
    return res.data.joinWaitlist.id as string;
  };
  /** A doctor whose slot `startsAt` is booked by someone; returns the booking to cancel later. */
  const bookedSlot = async (doctor: { workplaceId: string }, startsAt: string) => {
    const booker = await kit.createUser('PATIENT');
    const res = await kit.book(booker.token, doctor.workplaceId, startsAt);
    if (res.errors) throw new Error(JSON.stringify(res.errors));
    return { booker, appointmentId: res.data.bookAppointment.id as string };
  };
  const holds = (doctorId: string) =>
    sql<{ id: string; patient_id: string; starts_at: Date; waitlist_entry_id: string }>(
      `select id, patient_id, starts_at, waitlist_entry_id from appointments where doctor_id = ? and status = 'HELD'`,
      [doctorId],
    );
  return { sg, kit, sql, entry, join, bookedSlot, holds, heard, releasedFor, settle, stop };
}

describe('waitlist (offer held 15 minutes)', () => {
  let t: Awaited<ReturnType<typeof setup>>;
  beforeAll(async () => {
    t = await setup();
  });
  afterAll(async () => {
    await t?.stop();
  });

  it('joinWaitlist checks the window, the workplace, the role and the per-patient cap', async () => {
    const { kit } = t;
    const doctor = await kit.createDoctor();
    const patient = await kit.createUser('PATIENT');
    const at = kit.slotAt(3, 10);
    const call = (i: Record<string, unknown>, token = patient.token) =>
      kit.call(JOIN, { i: { workplaceId: doctor.workplaceId, from: at, to: plus(at, 60), ...i } }, token);
    const past = await call({ from: new Date(Date.now() - 60_000).toISOString() });
    expect([code(past), fieldOf(past)]).toEqual(['BAD_USER_INPUT', 'from']);
    const reversed = await call({ to: at });
    expect([code(reversed), fieldOf(reversed)]).toEqual(['BAD_USER_INPUT', 'to']);
    const tooLong = await call({ to: plus(at, 32 * 24 * 60) });
    expect([code(tooLong), fieldOf(tooLong)]).toEqual(['BAD_USER_INPUT', 'to']);
    expect(code(await call({ workplaceId: '00000000-0000-4000-8000-000000000000' }))).toBe('NOT_FOUND');
    expect(code(await call({}, doctor.token))).toBe('FORBIDDEN');
    expect(code(await kit.call(MINE, {}, doctor.token))).toBe('FORBIDDEN');

    const joined = await Promise.all(Array.from({ length: 12 }, () => call({})));
    expect(joined.filter((r) => !r.errors)).toHaveLength(10);
    expect(joined.filter((r) => code(r) === 'BAD_USER_INPUT' && fieldOf(r) === 'workplaceId')).toHaveLength(2);
    const mine = await kit.call(MINE, {}, patient.token);
    expect(mine.data.myWaitlist).toHaveLength(10);
    expect(mine.data.myWaitlist[0]).toMatchObject({ status: 'WAITING', offeredSlot: null, patient: { id: patient.id } });
    // Another patient does not see, leave or accept these.
    const other = await kit.createUser('PATIENT');
    expect((await kit.call(MINE, {}, other.token)).data.myWaitlist).toEqual([]);
    expect(code(await kit.call(LEAVE, { id: mine.data.myWaitlist[0].id }, other.token))).toBe('NOT_FOUND');
    expect(code(await kit.call(ACCEPT, { id: mine.data.myWaitlist[0].id }, other.token))).toBe('NOT_FOUND');
    // Leaving a WAITING entry frees a place under the cap.
    expect((await kit.call(LEAVE, { id: mine.data.myWaitlist[0].id }, patient.token)).data.leaveWaitlist.status).toBe(
      'CANCELLED',
    );
    expect((await call({})).errors).toBeUndefined();
  });

  it('a freed slot goes to the longest-waiting patient alone; public booking gets SLOT_UNAVAILABLE; leaving moves the offer on', async () => {
    const { kit, join, entry, bookedSlot, holds } = t;
    const doctor = await kit.createDoctor();
    const at = kit.slotAt(4, 11);
    const { booker, appointmentId } = await bookedSlot(doctor, at);
    const [p1, p2, p3] = await Promise.all([kit.createUser('PATIENT'), kit.createUser('PATIENT'), kit.createUser('PATIENT')]);
    const e1 = await join(p1.token, doctor.workplaceId, plus(at, -60), plus(at, 60));
    const e2 = await join(p2.token, doctor.workplaceId, at, plus(at, 30));

    expect((await kit.call(CANCEL, { id: appointmentId }, booker.token)).errors).toBeUndefined();
    const offered = await entry(p1.token, e1);
    expect(offered).toMatchObject({
      status: 'OFFERED',
      offeredSlot: { workplaceId: doctor.workplaceId, startsAt: at, endsAt: plus(at, 30) },
    });
    expect(Date.parse(offered.offerExpiresAt) - Date.now()).toBeGreaterThan(14 * 60_000);
    expect(await entry(p2.token, e2)).toMatchObject({ status: 'WAITING', offeredSlot: null });
    expect((await holds(doctor.doctorId)).map((h) => h.patient_id)).toEqual([p1.id]);
    // An expiry job arriving before the offer's time changes nothing (and is retried by the queue).
    const hold = (await holds(doctor.doctorId))[0];
    expect(await expireOffer(t.sg.orm.em, { entryId: e1, holdId: hold.id })).toBe('early');
    expect((await entry(p1.token, e1)).status).toBe('OFFERED');

    // Nobody else can book the held slot, and the hold is no appointment to anyone.
    const attempt = await kit.book(p3.token, doctor.workplaceId, at);
    expect([code(attempt), reason(attempt)]).toEqual(['CONFLICT', 'SLOT_UNAVAILABLE']);
    expect((await kit.call(MY_APPOINTMENTS, {}, p1.token)).data.myAppointments.totalCount).toBe(0);
    const doctorView = await kit.call(MY_APPOINTMENTS, {}, doctor.token);
    expect(doctorView.data.myAppointments.nodes.map((n: any) => n.status)).toEqual(['CANCELLED']);
    const slots = await kit.call(
      `query($id: ID!, $from: DateTime!, $to: DateTime!) { doctor(id: $id) { availableSlots(from: $from, to: $to) { startsAt } } }`,
      { id: doctor.doctorId, from: at, to: plus(at, 60) },
      p3.token,
    );
    expect(slots.data.doctor.availableSlots.map((s: any) => s.startsAt)).toEqual([plus(at, 30)]);
    const heldId = (await holds(doctor.doctorId))[0].id;
    expect(
      (await kit.call(`query($id: ID!) { appointment(id: $id) { id } }`, { id: heldId }, p1.token)).data?.appointment ?? null,
    ).toBeNull();

    // p1 declines: the same slot is offered to p2, still held.
    expect((await kit.call(LEAVE, { id: e1 }, p1.token)).data.leaveWaitlist.status).toBe('CANCELLED');
    expect(await entry(p2.token, e2)).toMatchObject({ status: 'OFFERED', offeredSlot: { startsAt: at } });
    expect((await holds(doctor.doctorId)).map((h) => h.patient_id)).toEqual([p2.id]);
    const again = await kit.book(p3.token, doctor.workplaceId, at);
    expect(reason(again)).toBe('SLOT_UNAVAILABLE');

    // p2 accepts: a normal PENDING appointment of p2, in their list; the entry is BOOKED.
    const accepted = await kit.call(ACCEPT, { id: e2 }, p2.token);
    expect(accepted.errors).toBeUndefined();
    expect(accepted.data.acceptWaitlistOffer).toMatchObject({ status: 'PENDING', startsAt: at, patient: { id: p2.id } });
    expect(await entry(p2.token, e2)).toMatchObject({ status: 'BOOKED', offeredSlot: null });
    expect((await kit.call(MY_APPOINTMENTS, {}, p2.token)).data.myAppointments.nodes).toEqual([
      expect.objectContaining({ id: accepted.data.acceptWaitlistOffer.id, status: 'PENDING' }),
    ]);
    expect(await holds(doctor.doctorId)).toEqual([]);
    // Subscribers heard the booking, its cancellation and the accepted offer; offers and moves are silent.
    const events = await until('BOOKED event of the accepted offer', async () => {
      const mine = t.heard.filter((e) => e.doctorId === doctor.doctorId);
      return mine.length >= 3 && mine;
    });
    expect(events.map((e) => [e.type, e.appointmentId])).toEqual([
      ['BOOKED', appointmentId],
      ['CANCELLED', appointmentId],
      ['BOOKED', accepted.data.acceptWaitlistOffer.id],
    ]);
    expect(events[2].allowedUserIds).toContain(p2.id);
    expect(events[2].allowedUserIds).not.toContain(p1.id);
    const notices = await t.sql<{ n: number }>(
      `select count(*)::int as n from outbox where payload->>'template' in ('waitlist.offered', 'appointment.booked') and payload->>'userId' = ?`,
      [p2.id],
    );
    expect(notices[0].n).toBe(2);
    expect(reason(await kit.call(ACCEPT, { id: e2 }, p2.token))).toBe('INVALID_STATUS');
    // The slot went from booking to hold to hold to booking: it was never public, no slot event.
    await t.settle();
    expect(t.releasedFor(doctor.doctorId)).toEqual([]);
  });

  it('a cancellation or reschedule that frees a slot nobody waits for publishes one slotReleased event per freed slot', async () => {
    const { kit, bookedSlot, settle, releasedFor } = t;
    const doctor = await kit.createDoctor();
    const at = kit.slotAt(10, 10);
    const first = await bookedSlot(doctor, at);
    const second = await bookedSlot(doctor, plus(at, 60));
    await settle();
    expect(releasedFor(doctor.doctorId)).toEqual([]); // bookings free nothing
    expect((await kit.call(CANCEL, { id: first.appointmentId }, first.booker.token)).errors).toBeUndefined();
    const moved = await kit.call(
      `mutation($id: ID!, $at: DateTime!) { rescheduleAppointment(id: $id, startsAt: $at) { id } }`,
      { id: second.appointmentId, at: plus(at, 120) },
      second.booker.token,
    );
    expect(moved.errors).toBeUndefined();
    await settle();
    expect(releasedFor(doctor.doctorId)).toEqual([
      { workplaceId: doctor.workplaceId, startsAt: at, endsAt: plus(at, 30) },
      { workplaceId: doctor.workplaceId, startsAt: plus(at, 60), endsAt: plus(at, 90) },
    ]);
    // A failed cancellation (already cancelled) publishes nothing more.
    expect(reason(await kit.call(CANCEL, { id: first.appointmentId }, first.booker.token))).toBe('INVALID_STATUS');
    await settle();
    expect(releasedFor(doctor.doctorId)).toHaveLength(2);

    // A slot the waitlist takes is silent until the last offered patient leaves: then one event.
    const third = await bookedSlot(doctor, plus(at, 180));
    const waiter = await kit.createUser('PATIENT');
    const e = await t.join(waiter.token, doctor.workplaceId, plus(at, 180), plus(at, 210));
    expect((await kit.call(CANCEL, { id: third.appointmentId }, third.booker.token)).errors).toBeUndefined();
    expect((await t.entry(waiter.token, e)).status).toBe('OFFERED');
    await settle();
    expect(releasedFor(doctor.doctorId)).toHaveLength(2);
    expect((await kit.call(LEAVE, { id: e }, waiter.token)).data.leaveWaitlist.status).toBe('CANCELLED');
    await settle();
    expect(releasedFor(doctor.doctorId).slice(2)).toEqual([
      { workplaceId: doctor.workplaceId, startsAt: plus(at, 180), endsAt: plus(at, 210) },
    ]);
  });

  it('a no-show frees its future time like a cancellation: bookable again, or offered to the waitlist; completing frees nothing', async () => {
    const { kit, join, entry, bookedSlot, holds, settle, releasedFor } = t;
    const doctor = await kit.createDoctor();
    const CONFIRM = `mutation($id: ID!) { confirmAppointment(id: $id) { status } }`;
    const NO_SHOW = `mutation($id: ID!) { markNoShow(id: $id) { id status } }`;
    const confirmed = async (startsAt: string) => {
      const b = await bookedSlot(doctor, startsAt);
      expect((await kit.call(CONFIRM, { id: b.appointmentId }, doctor.token)).data?.confirmAppointment.status).toBe('CONFIRMED');
      return b;
    };

    // Nobody waits: the time is public again (one slot event) and another patient books it.
    const at = kit.slotAt(11, 10);
    const first = await bookedSlot(doctor, at);
    expect(reason(await kit.call(NO_SHOW, { id: first.appointmentId }, doctor.token))).toBe('INVALID_STATUS'); // PENDING
    expect((await kit.call(CONFIRM, { id: first.appointmentId }, doctor.token)).errors).toBeUndefined();
    expect(code(await kit.call(NO_SHOW, { id: first.appointmentId }, first.booker.token))).toBe('FORBIDDEN'); // the patient
    const stranger = await kit.createDoctor();
    expect(code(await kit.call(NO_SHOW, { id: first.appointmentId }, stranger.token))).toBe('NOT_FOUND'); // another doctor
    const noShow = await kit.call(NO_SHOW, { id: first.appointmentId }, doctor.token);
    expect(noShow.data?.markNoShow.status).toBe('NO_SHOW');
    await settle();
    expect(releasedFor(doctor.doctorId)).toEqual([{ workplaceId: doctor.workplaceId, startsAt: at, endsAt: plus(at, 30) }]);
    const someone = await kit.createUser('PATIENT');
    const slots = await kit.call(
      `query($id: ID!, $from: DateTime!, $to: DateTime!) { doctor(id: $id) { availableSlots(from: $from, to: $to) { startsAt } } }`,
      { id: doctor.doctorId, from: at, to: plus(at, 30) },
      someone.token,
    );
    expect(slots.data.doctor.availableSlots).toEqual([{ startsAt: at }]);
    // Both the friendly check and the exclusion constraints let the new booking through.
    const rebooked = await kit.book(someone.token, doctor.workplaceId, at);
    expect(rebooked.errors).toBeUndefined();

    // Someone waits: the no-show's slot is held and offered to them, silently.
    const at2 = kit.slotAt(11, 12);
    const second = await confirmed(at2);
    const waiter = await kit.createUser('PATIENT');
    const e = await join(waiter.token, doctor.workplaceId, at2, plus(at2, 30));
    expect((await kit.call(NO_SHOW, { id: second.appointmentId }, doctor.token)).errors).toBeUndefined();
    expect(await entry(waiter.token, e)).toMatchObject({ status: 'OFFERED', offeredSlot: { startsAt: at2 } });
    expect((await holds(doctor.doctorId)).map((h) => h.patient_id)).toEqual([waiter.id]);
    expect(reason(await kit.book(someone.token, doctor.workplaceId, at2))).toBe('SLOT_UNAVAILABLE');
    expect((await kit.call(ACCEPT, { id: e }, waiter.token)).errors).toBeUndefined();

    // Completing keeps the time taken.
    const at3 = kit.slotAt(11, 14);
    const third = await confirmed(at3);
    const done = await kit.call(
      `mutation($id: ID!) { completeAppointment(id: $id) { status } }`,
      { id: third.appointmentId },
      doctor.token,
    );
    expect(done.data?.completeAppointment.status).toBe('COMPLETED');
    expect(reason(await kit.book(someone.token, doctor.workplaceId, at3))).toBe('SLOT_UNAVAILABLE');
    await settle();
    expect(releasedFor(doctor.doctorId)).toHaveLength(1);
  });

  it('a hold is in no staff view: assistant dashboard, myPatients, care state', async () => {
    const { kit, join, bookedSlot, holds, sql } = t;
    // A zone where it is 09:00–15:59 now, so a slot later today exists (todaysAppointments is the local day).
    const zones = [
      'UTC',
      'Asia/Dubai',
      'Asia/Kolkata',
      'Asia/Tokyo',
      'Pacific/Auckland',
      'Pacific/Honolulu',
      'America/Los_Angeles',
      'America/New_York',
    ];
    const zone = zones.find((z) => {
      const h = DateTime.now().setZone(z).hour;
      return h >= 9 && h <= 15;
    })!;
    const doctor = await kit.createDoctor({ timeZone: zone });
    const assistant = await kit.createUser('ASSISTANT');
    const invite = await kit.call(
      `mutation($i: InviteAssistantInput!) { inviteAssistant(input: $i) { id } }`,
      { i: { assistantEmail: assistant.email, workplaceId: doctor.workplaceId } },
      doctor.token,
    );
    const accepted = await kit.call(
      `mutation($id: ID!) { respondToInvite(inviteId: $id, accept: true) { status } }`,
      { id: invite.data.inviteAssistant.id },
      assistant.token,
    );
    expect(accepted.data?.respondToInvite.status).toBe('ACCEPTED');
    const at = DateTime.now().setZone(zone).plus({ hours: 1 }).startOf('hour').toUTC().toISO()!;
    const { booker, appointmentId } = await bookedSlot(doctor, at);
    const waiting = await kit.createUser('PATIENT');
    await join(waiting.token, doctor.workplaceId, at, plus(at, 30));
    expect((await kit.call(CANCEL, { id: appointmentId }, booker.token)).errors).toBeUndefined();
    expect((await holds(doctor.doctorId)).map((h) => h.patient_id)).toEqual([waiting.id]);

    const dash = await kit.call(`{ assistantDashboard { todaysAppointments { id status } } }`, {}, assistant.token);
    expect(dash.errors).toBeUndefined();
    expect(dash.data.assistantDashboard.todaysAppointments).toEqual([]);
    const patients = await kit.call(`{ myPatients { totalCount nodes { id } } }`, {}, doctor.token);
    expect(patients.data.myPatients).toEqual({ totalCount: 1, nodes: [{ id: booker.id }] });
    const care = await sql(`select payload from outbox where topic = 'care.changed' and payload->>'patientId' = ?`, [waiting.id]);
    expect(care).toEqual([]);
  });

  it('a first-in-line patient who books an overlapping time while the slot is being offered is skipped, not the cancellation', async () => {
    const { kit, join, entry, bookedSlot, holds } = t;
    const [doctor, other] = [await kit.createDoctor(), await kit.createDoctor()];
    const at = kit.slotAt(9, 10);
    const { booker, appointmentId } = await bookedSlot(doctor, at);
    const [a, b] = [await kit.createUser('PATIENT'), await kit.createUser('PATIENT')];
    const ea = await join(a.token, doctor.workplaceId, at, plus(at, 30));
    const eb = await join(b.token, doctor.workplaceId, at, plus(at, 30));
    // A's booking elsewhere is in flight (uncommitted) when the cancellation offers the slot: the
    // offer's query does not see it, its hold INSERT waits for it and then fails on A's constraint.
    const cancelled = await t.sg.orm.em.fork().transactional(async (tx) => {
      await tx.getConnection().execute(
        `insert into appointments (id, patient_id, doctor_id, doctor_user_id, workplace_id, starts_at, ends_at)
           values (gen_random_uuid(), ?, ?, ?, ?, ?, ?)`,
        [a.id, other.doctorId, other.id, other.workplaceId, at, plus(at, 30)],
        'run',
        tx.getTransactionContext(),
      );
      const pending = kit.call(CANCEL, { id: appointmentId }, booker.token);
      await new Promise((r) => setTimeout(r, 700));
      return { pending }; // wrapped: returning the promise itself would make the commit wait for it
    });
    expect((await cancelled.pending).data?.cancelAppointment.status).toBe('CANCELLED');
    expect((await entry(a.token, ea)).status).toBe('WAITING');
    expect(await entry(b.token, eb)).toMatchObject({ status: 'OFFERED', offeredSlot: { startsAt: at } });
    expect((await holds(doctor.doctorId)).map((h) => h.patient_id)).toEqual([b.id]);
  });

  it('20 concurrent acceptWaitlistOffer / bookAppointment on the held slot leave exactly one appointment, the offered patient’s', async () => {
    const { kit, join, bookedSlot, sql } = t;
    const doctor = await kit.createDoctor();
    const at = kit.slotAt(5, 12);
    const { booker, appointmentId } = await bookedSlot(doctor, at);
    const offeredPatient = await kit.createUser('PATIENT');
    const entryId = await join(offeredPatient.token, doctor.workplaceId, at, plus(at, 30));
    const others = await Promise.all(Array.from({ length: 10 }, () => kit.createUser('PATIENT')));
    expect((await kit.call(CANCEL, { id: appointmentId }, booker.token)).errors).toBeUndefined();

    const calls = [
      ...Array.from({ length: 10 }, () => kit.call(ACCEPT, { id: entryId }, offeredPatient.token)),
      ...others.map((p) => kit.book(p.token, doctor.workplaceId, at)),
    ];
    const results = await Promise.all(calls);
    const ok = results.filter((r) => !r.errors);
    expect(ok).toHaveLength(1);
    expect(ok[0].data.acceptWaitlistOffer.patient.id).toBe(offeredPatient.id);
    const unexpected = results.filter((r) => r.errors && code(r) !== 'CONFLICT');
    expect(unexpected.map((r) => r.errors?.[0])).toEqual([]);
    expect(results.slice(10).every((r) => reason(r) === 'SLOT_UNAVAILABLE')).toBe(true);
    const rows = await sql<{ patient_id: string; status: string }>(
      `select patient_id, status::text from appointments where doctor_id = ? and starts_at = ? and status <> 'CANCELLED'`,
      [doctor.doctorId, at],
    );
    expect(rows).toEqual([{ patient_id: offeredPatient.id, status: 'PENDING' }]);
  });

  it('two slots freed concurrently with one waiting patient: one offer, the other slot stays public', async () => {
    const { kit, join, entry, bookedSlot, holds } = t;
    const doctor = await kit.createDoctor();
    const at = kit.slotAt(6, 13);
    const [s1, s2] = await Promise.all([bookedSlot(doctor, at), bookedSlot(doctor, plus(at, 30))]);
    const waiting = await kit.createUser('PATIENT');
    const e = await join(waiting.token, doctor.workplaceId, at, plus(at, 60));
    const cancelled = await Promise.all([
      kit.call(CANCEL, { id: s1.appointmentId }, s1.booker.token),
      kit.call(CANCEL, { id: s2.appointmentId }, s2.booker.token),
    ]);
    expect(cancelled.map((r) => r.errors)).toEqual([undefined, undefined]);
    const held = await holds(doctor.doctorId);
    expect(held).toHaveLength(1);
    expect(held[0].waitlist_entry_id).toBe(e);
    const offered = await entry(waiting.token, e);
    expect(offered.status).toBe('OFFERED');
    const freeOne = offered.offeredSlot.startsAt === at ? plus(at, 30) : at;
    const someone = await kit.createUser('PATIENT');
    expect((await kit.book(someone.token, doctor.workplaceId, freeOne)).errors).toBeUndefined();
  });

  it('rescheduling frees the old time and new working hours open slots for the queue', async () => {
    const { kit, join, entry } = t;
    const doctor = await kit.createDoctor();
    const at = kit.slotAt(7, 9);
    const { booker, appointmentId } = await t.bookedSlot(doctor, at);
    const p = await kit.createUser('PATIENT');
    const e = await join(p.token, doctor.workplaceId, at, plus(at, 30));
    const moved = await kit.call(
      `mutation($id: ID!, $at: DateTime!) { rescheduleAppointment(id: $id, startsAt: $at) { id } }`,
      { id: appointmentId, at: plus(at, 120) },
      booker.token,
    );
    expect(moved.errors).toBeUndefined();
    expect((await entry(p.token, e)).offeredSlot?.startsAt).toBe(at);

    // Evening hours (18:00–19:00) did not exist; the window asks for them.
    const evening = kit.slotAt(8, 18);
    const q = await kit.createUser('PATIENT');
    const eq = await join(q.token, doctor.workplaceId, evening, plus(evening, 60));
    expect((await entry(q.token, eq)).status).toBe('WAITING');
    const days = ['MONDAY', 'TUESDAY', 'WEDNESDAY', 'THURSDAY', 'FRIDAY', 'SATURDAY', 'SUNDAY'];
    const updated = await kit.call(
      `mutation($id: ID!, $i: WorkplaceInput!) { updateWorkplace(id: $id, input: $i) { id } }`,
      {
        id: doctor.workplaceId,
        i: {
          name: 'Main clinic',
          type: 'CLINIC',
          timeZone: 'UTC',
          workingHours: days.flatMap((day) => [
            { day, start: '09:00', end: '17:00' },
            { day, start: '18:00', end: '19:00' },
          ]),
          slotDurationMinutes: 30,
        },
      },
      doctor.token,
    );
    expect(updated.errors).toBeUndefined();
    expect((await entry(q.token, eq)).offeredSlot?.startsAt).toBe(evening);
  });
});

describe('waitlist offer expiry (offer held 3 seconds)', () => {
  let t: Awaited<ReturnType<typeof setup>>;
  beforeAll(async () => {
    t = await setup({ WAITLIST_OFFER_MINUTES: '0.05' });
  });
  afterAll(async () => {
    await t?.stop();
  });

  it('expiry moves the offer to the next patient on time, then frees the slot; accepting late is refused', async () => {
    const { kit, join, entry, bookedSlot, holds, sql } = t;
    const doctor = await kit.createDoctor();
    const at = kit.slotAt(3, 15);
    const { booker, appointmentId } = await bookedSlot(doctor, at);
    const [p1, p2] = await Promise.all([kit.createUser('PATIENT'), kit.createUser('PATIENT')]);
    const e1 = await join(p1.token, doctor.workplaceId, at, plus(at, 30));
    const e2 = await join(p2.token, doctor.workplaceId, at, plus(at, 30));
    expect((await kit.call(CANCEL, { id: appointmentId }, booker.token)).errors).toBeUndefined();
    const first = await entry(p1.token, e1);
    expect(first.status).toBe('OFFERED');
    const firstHold = (await holds(doctor.doctorId))[0];
    // Held: not public, no slot event (also not when the offer moves on to p2 below).
    await t.settle();
    expect(t.releasedFor(doctor.doctorId)).toEqual([]);

    // The delayed job (no read touches p1's entry) moves the offer to p2 within a second of expiry.
    const moved = await until('offer moved to p2', async () => {
      const h = await holds(doctor.doctorId);
      return h[0]?.patient_id === p2.id && h[0];
    });
    const movedAt = Date.now();
    expect(movedAt - Date.parse(first.offerExpiresAt)).toBeGreaterThanOrEqual(-50);
    expect(movedAt - Date.parse(first.offerExpiresAt)).toBeLessThan(5_000);
    const late = await kit.call(ACCEPT, { id: e1 }, p1.token);
    expect([code(late), reason(late)]).toEqual(['CONFLICT', 'INVALID_STATUS']);
    expect((await entry(p1.token, e1)).status).toBe('EXPIRED');
    // A repeated expiry job for the old hold changes nothing.
    expect(await expireOffer(t.sg.orm.em, { entryId: e1, holdId: firstHold.id }, 0.05)).toBe('gone');
    expect((await holds(doctor.doctorId)).map((h) => h.id)).toEqual([moved.id]);
    await t.settle();
    expect(t.releasedFor(doctor.doctorId)).toEqual([]);

    // Nobody left: the hold goes and the slot is public again.
    await until('hold released', async () => (await holds(doctor.doctorId)).length === 0);
    expect((await entry(p2.token, e2)).status).toBe('EXPIRED');
    // Exactly one slot event, published by the expiry job when the slot became public.
    await until('the slotReleased event', async () => t.releasedFor(doctor.doctorId).length > 0);
    expect(t.releasedFor(doctor.doctorId)).toEqual([{ workplaceId: doctor.workplaceId, startsAt: at, endsAt: plus(at, 30) }]);
    const someone = await kit.createUser('PATIENT');
    expect((await kit.book(someone.token, doctor.workplaceId, at)).errors).toBeUndefined();
    // A repeated job and the reads after it publish nothing more.
    expect(await expireOffer(t.sg.orm.em, { entryId: e2, holdId: moved.id }, 0.05)).toBe('gone');
    await kit.call(MINE, {}, p2.token);
    await t.settle();
    expect(t.releasedFor(doctor.doctorId)).toHaveLength(1);
    const jobs = await sql<{ n: number }>(`select count(*)::int as n from outbox where topic = 'waitlist.offer-expire'`);
    expect(jobs[0].n).toBeGreaterThanOrEqual(2);
  });

  it('an offer past its time reads as EXPIRED and accepting it is refused even before the job ran', async () => {
    const { kit, join, entry, bookedSlot, sql } = t;
    const doctor = await kit.createDoctor();
    const at = kit.slotAt(4, 15);
    const { booker, appointmentId } = await bookedSlot(doctor, at);
    const p = await kit.createUser('PATIENT');
    const e = await join(p.token, doctor.workplaceId, at, plus(at, 30));
    expect((await kit.call(CANCEL, { id: appointmentId }, booker.token)).errors).toBeUndefined();
    // Pretend the offer ran out a moment ago, before its job (still 3 s away) could act.
    await sql(`update waitlist_entries set offer_expires_at = clock_timestamp() - interval '1 second' where id = ?`, [e]);
    await sql(`update appointments set hold_expires_at = clock_timestamp() - interval '1 second' where waitlist_entry_id = ?`, [
      e,
    ]);
    const late = await kit.call(ACCEPT, { id: e }, p.token);
    expect([code(late), reason(late)]).toEqual(['CONFLICT', 'OFFER_EXPIRED']);
    expect((await entry(p.token, e)).status).toBe('EXPIRED');
    expect(await t.holds(doctor.doctorId)).toEqual([]);
    // Released by the refused accept (not the job, which finds it gone): one event all the same.
    await until('the slotReleased event', async () => t.releasedFor(doctor.doctorId).length > 0);
    await new Promise((r) => setTimeout(r, 3_500)); // past the job's delay
    await t.settle();
    expect(t.releasedFor(doctor.doctorId)).toEqual([{ workplaceId: doctor.workplaceId, startsAt: at, endsAt: plus(at, 30) }]);
  });
});

describe('accepting an offer is a booking (cap 1 upcoming appointment per patient)', () => {
  let t: Awaited<ReturnType<typeof setup>>;
  beforeAll(async () => {
    t = await setup({ PATIENT_MAX_UPCOMING_APPOINTMENTS: '1' });
  });
  afterAll(async () => {
    await t?.stop();
  });

  it('a patient at the cap cannot accept (LIMIT_REACHED, the hold stays); below it the booking is theirs and grants the care team', async () => {
    const { kit, join, entry, bookedSlot, holds, sql } = t;
    const doctor = await kit.createDoctor();
    const at = kit.slotAt(6, 11);
    const { booker, appointmentId } = await bookedSlot(doctor, at);
    const p = await kit.createUser('PATIENT');
    const e = await join(p.token, doctor.workplaceId, at, plus(at, 30));
    const own = await kit.book(p.token, doctor.workplaceId, kit.slotAt(6, 14)); // p is at the cap now
    expect(own.errors).toBeUndefined();
    expect((await kit.call(CANCEL, { id: appointmentId }, booker.token)).errors).toBeUndefined();
    expect(await entry(p.token, e)).toMatchObject({ status: 'OFFERED', offeredSlot: { startsAt: at } });

    const refused = await kit.call(ACCEPT, { id: e }, p.token);
    expect([code(refused), reason(refused)]).toEqual(['CONFLICT', 'LIMIT_REACHED']);
    expect((await holds(doctor.doctorId)).map((h) => h.patient_id)).toEqual([p.id]);
    expect((await entry(p.token, e)).status).toBe('OFFERED');

    // Below the cap again: the accepted booking is the patient's own (booked_by) like bookAppointment's.
    expect((await kit.call(CANCEL, { id: own.data.bookAppointment.id }, p.token)).errors).toBeUndefined();
    const accepted = await kit.call(ACCEPT, { id: e }, p.token);
    expect(accepted.errors).toBeUndefined();
    const [row] = await sql<{ booked_by: string }>(`select booked_by from appointments where id = ?`, [
      accepted.data.acceptWaitlistOffer.id,
    ]);
    expect(row.booked_by).toBe(p.id);
  });
});
