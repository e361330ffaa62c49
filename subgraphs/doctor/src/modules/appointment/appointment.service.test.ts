import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startTestSubgraph, testRedisPrefix, type TestKeys, type TestSubgraph } from '@hc/testing';
import { appointmentEventsChannel, type AppointmentChangedEvent } from '@hc/graphql';
import type { Role } from '@hc/auth';
import { doctorTestKit } from '../../../test/support.js';
import { doctorSubgraph } from '../../server.js';
import { AppointmentEvents } from './appointment.events.js';
import { bookAppointment, cancelAppointment, confirmAppointment, isSlotUnavailable } from './appointment.service.js';
import type { DoctorSubgraphContext } from '../../context.js';

// The service called directly, as a non-GraphQL caller (a job, another feature) would: same
// rules, and subscribers hear only of committed changes.

let sg: TestSubgraph & { keys: TestKeys };
let kit: ReturnType<typeof doctorTestKit>;
let events: AppointmentEvents;
let subscriber: ReturnType<TestSubgraph['redis']['duplicate']>;
let channel: string;
const heard: AppointmentChangedEvent[] = [];
const markers = new Map<string, () => void>();

beforeAll(async () => {
  sg = await startTestSubgraph(doctorSubgraph);
  kit = doctorTestKit(sg.orm, sg.keys, sg.graphqlUrl);
  const prefix = testRedisPrefix('doctor-svc');
  channel = appointmentEventsChannel(prefix);
  events = new AppointmentEvents(sg.redis, prefix, sg.logger);
  subscriber = sg.redis.duplicate();
  await subscriber.subscribe(channel);
  subscriber.on('message', (_channel, message) => {
    const event = JSON.parse(message) as AppointmentChangedEvent & { marker?: string };
    if (event.marker) markers.get(event.marker)?.();
    else heard.push(event);
  });
});
afterAll(async () => {
  await subscriber?.quit();
  await sg?.stop();
});

const contextFor = ({ id, role, email }: { id: string; role: Role; email: string }): DoctorSubgraphContext => {
  const requestId = randomUUID();
  return {
    auth: { user: { id, role, email, issuedAt: Math.floor(Date.now() / 1000) }, requestId },
    requestId,
    logger: sg.logger,
    loaders: new Map(),
    clientAddress: '127.0.0.1',
    em: sg.orm.em.fork(),
    events,
    caps: { maxUpcomingAppointments: 10 },
  };
};

/**
 * Waits until the subscriber has received everything published so far: events go out on the
 * same connection as this marker, and Redis delivers one channel's messages in order.
 */
const settle = async () => {
  const marker = randomUUID();
  const received = new Promise<void>((resolve) => markers.set(marker, resolve));
  await sg.redis.publish(channel, JSON.stringify({ marker }));
  await received;
};

const outboxFor = async (userId: string) =>
  sg.orm.em
    .getConnection()
    .execute<{ topic: string }[]>(
      `select topic from outbox where payload->>'userId' = ? or payload->>'patientId' = ? order by topic`,
      [userId, userId],
    );

describe('appointment.service called directly', () => {
  it('racing bookAppointment calls: one commits with its outbox rows and one event, the loser leaves nothing', async () => {
    const doctor = await kit.createDoctor();
    const [p1, p2] = await Promise.all([kit.createUser('PATIENT'), kit.createUser('PATIENT')]);
    const startsAt = new Date(kit.slotAt(3, 10));
    const before = heard.length;
    const results = await Promise.allSettled(
      [p1, p2].map((p) => bookAppointment(contextFor(p), { workplaceId: doctor.workplaceId, startsAt })),
    );
    const won = results.filter((r) => r.status === 'fulfilled');
    const lost = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(won).toHaveLength(1);
    expect(lost).toHaveLength(1);
    // Either the friendly check (CONFLICT) or, when both passed it, the exclusion constraint decides.
    expect(isSlotUnavailable(lost[0].reason)).toBe(true);
    const winner = results[0].status === 'fulfilled' ? p1 : p2;
    const loser = winner === p1 ? p2 : p1;
    const appointment = (won[0] as PromiseFulfilledResult<Awaited<ReturnType<typeof bookAppointment>>>).value;
    expect(appointment).toMatchObject({ patientId: winner.id, status: 'PENDING' });

    await settle();
    const mine = heard.slice(before);
    expect(mine).toEqual([expect.objectContaining({ type: 'BOOKED', appointmentId: appointment.id })]);
    expect(mine[0].allowedUserIds).toEqual(expect.arrayContaining([winner.id, doctor.id]));
    expect(mine[0].allowedUserIds).not.toContain(loser.id);

    expect((await outboxFor(winner.id)).map((r) => r.topic)).toEqual(
      expect.arrayContaining(['care.changed', 'notification.send']),
    );
    expect(await outboxFor(loser.id)).toEqual([]);
  });

  it('cancelAppointment: one event per committed change; a second cancel is CONFLICT and publishes nothing', async () => {
    const doctor = await kit.createDoctor();
    const patient = await kit.createUser('PATIENT');
    const booked = await bookAppointment(contextFor(patient), {
      workplaceId: doctor.workplaceId,
      startsAt: new Date(kit.slotAt(4, 11)),
    });
    await settle();
    const before = heard.length;
    const cancelled = await cancelAppointment(contextFor(patient), booked.id, '  travelling  ');
    expect(cancelled).toMatchObject({ status: 'CANCELLED', cancellationReason: 'travelling', cancelledBy: patient.id });
    await expect(cancelAppointment(contextFor(patient), booked.id)).rejects.toMatchObject({
      extensions: { code: 'CONFLICT', reason: 'INVALID_STATUS' },
    });
    await settle();
    expect(heard.slice(before)).toEqual([expect.objectContaining({ type: 'CANCELLED', appointmentId: booked.id })]);
  });

  it('authorizes from the context: a patient cannot confirm, another patient does not even see it', async () => {
    const doctor = await kit.createDoctor();
    const [patient, stranger] = await Promise.all([kit.createUser('PATIENT'), kit.createUser('PATIENT')]);
    const booked = await bookAppointment(contextFor(patient), {
      workplaceId: doctor.workplaceId,
      startsAt: new Date(kit.slotAt(5, 12)),
    });
    await expect(confirmAppointment(contextFor(patient), booked.id)).rejects.toMatchObject({
      extensions: { code: 'FORBIDDEN' },
    });
    await expect(confirmAppointment(contextFor(stranger), booked.id)).rejects.toMatchObject({
      extensions: { code: 'NOT_FOUND' },
    });
    await expect(confirmAppointment(contextFor(doctor), booked.id)).resolves.toMatchObject({ status: 'CONFIRMED' });
  });
});
