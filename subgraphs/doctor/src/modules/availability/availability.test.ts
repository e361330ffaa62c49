import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DateTime } from 'luxon';
import { startTestSubgraph, type TestKeys, type TestSubgraph } from '@hc/testing';
import { doctorTestKit } from '../../../test/support.js';
import { generateSlots, workingHoursProblems } from './slots.js';
import { DayOfWeek, WEEKDAYS } from '../workplace/workplace.entity.js';
import { doctorSubgraph } from '../../server.js';

const everyDay = (start: string, end: string) => WEEKDAYS.map((day) => ({ day, start, end }));
const local = (d: Date, zone: string) => DateTime.fromJSDate(d, { zone }).toFormat('yyyy-MM-dd HH:mm');

describe('slot generation (unit)', () => {
  it('keeps 09:00 local across the spring DST change (Europe/Berlin, 2027-03-28)', () => {
    const wp = { id: 'w', timeZone: 'Europe/Berlin', workingHours: everyDay('09:00', '10:00'), slotDurationMinutes: 30 };
    const slots = generateSlots(wp, new Date('2027-03-27T00:00:00Z'), new Date('2027-03-30T00:00:00Z'));
    expect(slots.map((s) => local(s.startsAt, 'Europe/Berlin'))).toEqual([
      '2027-03-27 09:00',
      '2027-03-27 09:30',
      '2027-03-28 09:00',
      '2027-03-28 09:30',
      '2027-03-29 09:00',
      '2027-03-29 09:30',
    ]);
    // The UTC instant moves by an hour instead.
    expect(slots[0].startsAt.toISOString()).toBe('2027-03-27T08:00:00.000Z');
    expect(slots[2].startsAt.toISOString()).toBe('2027-03-28T07:00:00.000Z');
  });

  it('keeps 09:00 local across the autumn change (America/New_York, 2027-11-07) and handles a range end inside a day', () => {
    const wp = {
      id: 'w',
      timeZone: 'America/New_York',
      workingHours: [
        { day: DayOfWeek.SATURDAY, start: '09:00', end: '09:30' },
        { day: DayOfWeek.SUNDAY, start: '09:00', end: '09:30' },
      ],
      slotDurationMinutes: 30,
    };
    const slots = generateSlots(wp, new Date('2027-11-06T00:00:00Z'), new Date('2027-11-08T00:00:00Z'));
    expect(slots.map((s) => s.startsAt.toISOString())).toEqual(['2027-11-06T13:00:00.000Z', '2027-11-07T14:00:00.000Z']);
  });

  it('steps in real minutes from each range start: same slots as stepping every one through the zone', () => {
    // The reference steps every slot through luxon in the workplace's zone (the implementation
    // converts only the range ends); both must agree across DST changes, half-hour offsets,
    // ranges ending at 24:00 and durations that do not divide the range.
    const reference = (wp: Parameters<typeof generateSlots>[0], from: Date, to: Date) => {
      const out: string[] = [];
      let day = DateTime.fromJSDate(from, { zone: wp.timeZone }).startOf('day');
      const last = DateTime.fromJSDate(to, { zone: wp.timeZone });
      for (; day <= last; day = day.plus({ days: 1 })) {
        for (const wh of wp.workingHours) {
          if (wh.day !== WEEKDAYS[day.weekday - 1]) continue;
          const at = (hhmm: string) => {
            const [h, m] = hhmm.split(':').map(Number);
            const local = (hour: number, minute: number) =>
              DateTime.fromObject({ year: day.year, month: day.month, day: day.day, hour, minute }, { zone: wp.timeZone });
            return h === 24 ? local(0, 0).plus({ days: 1 }) : local(h, m);
          };
          const end = at(wh.end);
          for (
            let t = at(wh.start);
            t.plus({ minutes: wp.slotDurationMinutes }) <= end;
            t = t.plus({ minutes: wp.slotDurationMinutes })
          ) {
            const e = t.plus({ minutes: wp.slotDurationMinutes });
            if (t.toJSDate() >= from && e.toJSDate() <= to) out.push(`${t.toUTC().toISO()}/${e.toUTC().toISO()}`);
          }
        }
      }
      return out.sort();
    };
    const cases: [string, string, string][] = [
      ['America/New_York', '2027-03-13T00:00:00Z', '2027-03-16T00:00:00Z'],
      ['America/New_York', '2027-11-06T00:00:00Z', '2027-11-09T00:00:00Z'],
      ['Europe/Berlin', '2027-10-30T00:00:00Z', '2027-11-02T00:00:00Z'],
      ['Australia/Lord_Howe', '2027-04-03T00:00:00Z', '2027-04-06T00:00:00Z'],
      ['Asia/Kathmandu', '2027-01-01T07:10:00Z', '2027-01-05T00:00:00Z'],
      ['Africa/Cairo', '2027-04-28T00:00:00Z', '2027-05-05T00:00:00Z'],
    ];
    const hours = [
      { day: DayOfWeek.SUNDAY, start: '00:00', end: '04:00' },
      { day: DayOfWeek.SUNDAY, start: '20:00', end: '24:00' },
      ...WEEKDAYS.map((day) => ({ day, start: '01:30', end: '03:10' })),
      ...WEEKDAYS.map((day) => ({ day, start: '09:00', end: '17:00' })),
    ];
    for (const [timeZone, from, to] of cases)
      for (const slotDurationMinutes of [15, 30, 45, 50]) {
        const wp = { id: 'w', timeZone, workingHours: hours, slotDurationMinutes };
        const got = generateSlots(wp, new Date(from), new Date(to)).map(
          (s) => `${DateTime.fromJSDate(s.startsAt).toUTC().toISO()}/${DateTime.fromJSDate(s.endsAt).toUTC().toISO()}`,
        );
        expect(got.length).toBeGreaterThan(0);
        expect([...got].sort()).toEqual(reference(wp, new Date(from), new Date(to)));
      }
  });

  it('validates working hours: start < end and no overlap within a day', () => {
    expect(workingHoursProblems([{ day: DayOfWeek.MONDAY, start: '10:00', end: '09:00' }])).toEqual([
      { field: 'workingHours[0]', message: 'start must be before end' },
    ]);
    expect(
      workingHoursProblems([
        { day: DayOfWeek.MONDAY, start: '09:00', end: '12:00' },
        { day: DayOfWeek.MONDAY, start: '11:00', end: '13:00' },
        { day: DayOfWeek.TUESDAY, start: '11:00', end: '13:00' },
      ]),
    ).toEqual([{ field: 'workingHours[1]', message: 'overlaps another range on MONDAY' }]);
  });
});

describe('availability and workplaces through the subgraph', () => {
  let sg: TestSubgraph & { keys: TestKeys };
  let kit: ReturnType<typeof doctorTestKit>;
  beforeAll(async () => {
    sg = await startTestSubgraph(doctorSubgraph);
    kit = doctorTestKit(sg.orm, sg.keys, sg.graphqlUrl);
  });
  afterAll(async () => {
    await sg?.stop();
  });

  const SLOTS = `query($id: ID!, $from: DateTime!, $to: DateTime!) { doctor(id: $id) { availableSlots(from: $from, to: $to) { startsAt endsAt workplaceId } } }`;

  it('DST: a Berlin workplace offers 09:00 local on both sides of the change, minus taken slots; booking checks the local slot', async () => {
    const doctor = await kit.createDoctor({ timeZone: 'Europe/Berlin' });
    const patient = await kit.createUser('PATIENT');
    const from = '2027-03-27T00:00:00Z';
    const to = '2027-03-30T00:00:00Z';
    const before = await kit.call(SLOTS, { id: doctor.doctorId, from, to });
    const starts = before.data.doctor.availableSlots.map((s: { startsAt: string }) => s.startsAt);
    expect(starts).toContain('2027-03-27T08:00:00.000Z'); // 09:00 CET
    expect(starts).toContain('2027-03-29T07:00:00.000Z'); // 09:00 CEST
    expect(starts).not.toContain('2027-03-29T06:00:00.000Z'); // 08:00 CEST: before opening
    expect(
      starts.every((s: string) => {
        const t = DateTime.fromISO(s, { zone: 'Europe/Berlin' });
        return t.hour >= 9 && t.hour < 17;
      }),
    ).toBe(true);

    expect((await kit.book(patient.token, doctor.workplaceId, '2027-03-29T07:00:00.000Z')).errors).toBeUndefined();
    const after = await kit.call(SLOTS, { id: doctor.doctorId, from, to });
    expect(after.data.doctor.availableSlots.map((s: { startsAt: string }) => s.startsAt)).not.toContain(
      '2027-03-29T07:00:00.000Z',
    );
    // 08:00 CET would have been a slot before the change; after it 08:00 UTC is 10:00 local, still a slot, but 06:30 UTC is 08:30 local: not.
    expect((await kit.book(patient.token, doctor.workplaceId, '2027-03-29T06:30:00.000Z')).errors?.[0]?.extensions?.code).toBe(
      'BAD_USER_INPUT',
    );
  });

  it('caps the range and rejects from >= to', async () => {
    const doctor = await kit.createDoctor();
    const long = await kit.call(SLOTS, { id: doctor.doctorId, from: '2027-01-01T00:00:00Z', to: '2027-03-01T00:00:00Z' });
    expect(long.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', fields: [{ field: 'to' }] });
    // A month of 5-minute slots is ~8,900 per workplace: the window stops at 14 days.
    const month = await kit.call(SLOTS, { id: doctor.doctorId, from: '2027-01-01T00:00:00Z', to: '2027-01-15T00:00:01Z' });
    expect(month.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', fields: [{ field: 'to' }] });
    const fortnight = await kit.call(SLOTS, { id: doctor.doctorId, from: '2027-01-01T00:00:00Z', to: '2027-01-15T00:00:00Z' });
    expect(fortnight.errors).toBeUndefined();
    const reversed = await kit.call(SLOTS, { id: doctor.doctorId, from: '2027-01-02T00:00:00Z', to: '2027-01-01T00:00:00Z' });
    expect(reversed.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
  });

  it('caps workplaces per doctor (Doctor.workplaces has no first): 15 racing creations leave exactly 10', async () => {
    const doctor = await kit.createDoctor(); // already has one workplace
    const CREATE = `mutation($i: WorkplaceInput!) { createWorkplace(input: $i) { id } }`;
    const input = (n: number) => ({
      name: `Branch ${n}`,
      type: 'CLINIC',
      timeZone: 'Africa/Cairo',
      workingHours: [{ day: 'MONDAY', start: '09:00', end: '12:00' }],
    });
    const results = await Promise.all(Array.from({ length: 15 }, (_, n) => kit.call(CREATE, { i: input(n) }, doctor.token)));
    const created = results.filter((r) => !r.errors);
    const refused = results.filter((r) => r.errors?.[0]?.extensions?.reason === 'LIMIT_REACHED');
    expect(created.length).toBe(9);
    expect(refused.length).toBe(6);
    const [{ count }] = await sg.orm.em
      .getConnection()
      .execute<{ count: string }[]>('select count(*) from workplaces where doctor_id = ?', [doctor.doctorId]);
    expect(Number(count)).toBe(10);
  });

  it('validates a workplace: IANA zone, working hours, slot duration; keeps the fee exact; only the owner updates it', async () => {
    const doctor = await kit.createDoctor();
    const CREATE = `mutation($i: WorkplaceInput!) { createWorkplace(input: $i) { id consultationFee timeZone address { city } } }`;
    const base = {
      name: 'Annex',
      type: 'CLINIC',
      timeZone: 'Africa/Cairo',
      workingHours: [{ day: 'MONDAY', start: '09:00', end: '12:00' }],
    };
    const badZone = await kit.call(CREATE, { i: { ...base, timeZone: 'Mars/Olympus' } }, doctor.token);
    expect(badZone.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', fields: [{ field: 'timeZone' }] });
    const overlap = await kit.call(
      CREATE,
      {
        i: {
          ...base,
          workingHours: [
            { day: 'MONDAY', start: '09:00', end: '12:00' },
            { day: 'MONDAY', start: '11:00', end: '13:00' },
          ],
        },
      },
      doctor.token,
    );
    expect(overlap.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', fields: [{ field: 'workingHours[1]' }] });
    const short = await kit.call(CREATE, { i: { ...base, slotDurationMinutes: 4 } }, doctor.token);
    expect(short.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    const ok = await kit.call(
      CREATE,
      { i: { ...base, consultationFee: '1234567.89', address: { type: 'CLINIC', street: 'x', city: 'Giza', country: 'Egypt' } } },
      doctor.token,
    );
    expect(ok.data?.createWorkplace).toMatchObject({
      consultationFee: '1234567.89',
      timeZone: 'Africa/Cairo',
      address: { city: 'Giza' },
    });

    const intruder = await kit.createDoctor();
    const stolen = await kit.call(
      `mutation($id: ID!, $i: WorkplaceInput!) { updateWorkplace(id: $id, input: $i) { id } }`,
      { id: ok.data.createWorkplace.id, i: base },
      intruder.token,
    );
    expect(stolen.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    const patient = await kit.createUser('PATIENT');
    expect((await kit.call(CREATE, { i: base }, patient.token)).errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });

  it('updates and deactivates a workplace: a deactivated one takes no bookings and leaves the public listing', async () => {
    const doctor = await kit.createDoctor({ city: 'Luxor' });
    const patient = await kit.createUser('PATIENT');
    // The hours are on the weekday of the slot booked below (a week ahead), whatever day the test runs.
    const slot = kit.slotAt(7, 8);
    const day = new Date(slot).toLocaleDateString('en-US', { weekday: 'long', timeZone: 'UTC' }).toUpperCase();
    const base = {
      name: 'Renamed',
      type: 'HOSPITAL',
      timeZone: 'UTC',
      workingHours: [{ day, start: '08:00', end: '09:00' }],
      slotDurationMinutes: 60,
    };
    const updated = await kit.call(
      `mutation($id: ID!, $i: WorkplaceInput!) { updateWorkplace(id: $id, input: $i) { name type slotDurationMinutes workingHours { day start end } } }`,
      { id: doctor.workplaceId, i: base },
      doctor.token,
    );
    expect(updated.data.updateWorkplace).toEqual({
      name: 'Renamed',
      type: 'HOSPITAL',
      slotDurationMinutes: 60,
      workingHours: [{ day, start: '08:00', end: '09:00' }],
    });
    const off = await kit.call(
      `mutation($id: ID!) { deactivateWorkplace(id: $id) { isActive } }`,
      { id: doctor.workplaceId },
      doctor.token,
    );
    expect(off.data.deactivateWorkplace.isActive).toBe(false);
    const publicView = await kit.call(`query($id: ID!) { doctor(id: $id) { workplaces { id } } }`, { id: doctor.doctorId });
    expect(publicView.data.doctor.workplaces).toEqual([]);
    const ownView = await kit.call(
      `query($id: ID!) { doctor(id: $id) { workplaces { id isActive } } }`,
      { id: doctor.doctorId },
      doctor.token,
    );
    expect(ownView.data.doctor.workplaces).toEqual([{ id: doctor.workplaceId, isActive: false }]);
    const booking = await kit.book(patient.token, doctor.workplaceId, slot);
    expect(booking.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');

    // Re-activation: only the owner; listed and bookable again.
    const ACTIVATE = `mutation($id: ID!) { activateWorkplace(id: $id) { isActive } }`;
    const stranger = await kit.createDoctor();
    expect((await kit.call(ACTIVATE, { id: doctor.workplaceId }, stranger.token)).errors?.[0]?.extensions?.code).toBe(
      'NOT_FOUND',
    );
    expect((await kit.call(ACTIVATE, { id: doctor.workplaceId }, doctor.token)).data.activateWorkplace.isActive).toBe(true);
    const listed = await kit.call(`query($id: ID!) { doctor(id: $id) { workplaces { id } } }`, { id: doctor.doctorId });
    expect(listed.data.doctor.workplaces).toEqual([{ id: doctor.workplaceId }]);
    expect((await kit.book(patient.token, doctor.workplaceId, slot)).errors).toBeUndefined();
  });
});
