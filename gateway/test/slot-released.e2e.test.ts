import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import WebSocket from 'ws';
import { createClient, type Client } from 'graphql-ws';
import { startSupergraph, type TestSupergraph, until } from '@hc/testing';
import { doctorTestKit } from '@hc/doctor-subgraph/testing';
import { supergraph } from '../../scripts/subgraphs.ts';

const wsUrl = (httpUrl: string) => `${httpUrl.replace(/^http/, 'ws')}/graphql`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const plus = (iso: string, minutes: number) => new Date(Date.parse(iso) + minutes * 60_000).toISOString();

const SLOT = `subscription($doctorId: ID, $workplaceId: ID) {
  slotReleased(doctorId: $doctorId, workplaceId: $workplaceId) { __typename doctorId workplaceId startsAt endsAt occurredAt }
}`;

describe('slotReleased through the gateway (graphql-ws), offers held 3 seconds', () => {
  let sg: TestSupergraph;
  let kit: ReturnType<typeof doctorTestKit>;
  const clients: Client[] = [];

  const subscribe = (token: string, query: string, variables: Record<string, unknown> = {}) => {
    const received: any[] = [];
    const errors: unknown[] = [];
    const client = createClient({
      url: wsUrl(sg.gatewayUrl),
      webSocketImpl: WebSocket,
      connectionParams: { authorization: `Bearer ${token}` },
      retryAttempts: 0,
    });
    clients.push(client);
    const connected = new Promise<void>((resolve) => client.on('connected', () => resolve()));
    client.subscribe({ query, variables }, { next: (v) => received.push(v), error: (e) => errors.push(e), complete: () => {} });
    return { received, errors, connected };
  };

  beforeAll(async () => {
    sg = await startSupergraph(supergraph, { envFor: { doctor: { WAITLIST_OFFER_MINUTES: '0.05' } } });
    kit = doctorTestKit(sg.subgraphs.doctor.orm, sg.keys, sg.gatewayUrl);
  });
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.dispose()));
    await sg?.stop();
  });

  it('a hold that expires with nobody waiting is announced once, with its slot; nothing while held; filters narrow', async () => {
    const doctor = await kit.createDoctor();
    const otherWorkplace = await kit.createWorkplace(doctor.token);
    const at = kit.slotAt(5, 11);
    const booker = await kit.createUser('PATIENT');
    const booked = await kit.book(booker.token, doctor.workplaceId, at);
    expect(booked.errors).toBeUndefined();
    const waiter = await kit.createUser('PATIENT');
    const join = await kit.call(
      `mutation($i: JoinWaitlistInput!) { joinWaitlist(input: $i) { id } }`,
      { i: { workplaceId: doctor.workplaceId, from: at, to: plus(at, 30) } },
      waiter.token,
    );
    expect(join.errors).toBeUndefined();

    // Any signed-in user may listen (a stranger patient, by workplace); another workplace's filter hears nothing.
    const stranger = await kit.createUser('PATIENT');
    const byWorkplace = subscribe(stranger.token, SLOT, { workplaceId: doctor.workplaceId });
    const byDoctor = subscribe(kit.admin.token, `subscription($d: ID) { s: slotReleased(doctorId: $d) { startsAt } }`, {
      d: doctor.doctorId,
    });
    const elsewhere = subscribe(stranger.token, SLOT, { workplaceId: otherWorkplace });
    await Promise.all([byWorkplace.connected, byDoctor.connected, elsewhere.connected]);
    await sleep(200); // the subscribe message follows the connection ack

    const cancelled = await kit.call(
      `mutation($id: ID!) { cancelAppointment(id: $id) { status } }`,
      { id: booked.data.bookAppointment.id },
      booker.token,
    );
    expect(cancelled.data?.cancelAppointment.status).toBe('CANCELLED');
    // Held for the waiter: nothing announced.
    await sleep(1_000);
    expect(byWorkplace.received).toEqual([]);

    const event = await until('the slot event', () => byWorkplace.received[0]);
    expect(event).toEqual({
      data: {
        slotReleased: {
          __typename: 'SlotReleasedEvent',
          doctorId: doctor.doctorId,
          workplaceId: doctor.workplaceId,
          startsAt: at,
          endsAt: plus(at, 30),
          occurredAt: expect.any(String),
        },
      },
    });
    await until('the doctor-filtered subscriber', () => byDoctor.received[0]);
    expect(byDoctor.received[0]).toEqual({ data: { s: { startsAt: at } } });
    // The slot is bookable again; the booking frees nothing, so still exactly one event.
    const someone = await kit.createUser('PATIENT');
    expect((await kit.book(someone.token, doctor.workplaceId, at)).errors).toBeUndefined();
    await sleep(500);
    expect(byWorkplace.received).toHaveLength(1);
    expect(elsewhere.received).toEqual([]);
    for (const s of [byWorkplace, byDoctor, elsewhere]) expect(s.errors).toEqual([]);
  });

  it('refuses a socket without a valid token (4401) and the field over HTTP', async () => {
    const closeCode = (params: Record<string, unknown>) =>
      new Promise<number>((resolve) => {
        const ws = new WebSocket(wsUrl(sg.gatewayUrl), 'graphql-transport-ws');
        ws.on('open', () => ws.send(JSON.stringify({ type: 'connection_init', payload: params })));
        ws.on('close', (code) => resolve(code));
      });
    expect(await closeCode({})).toBe(4401);
    expect(await closeCode({ authorization: 'Bearer not.a.token' })).toBe(4401);
    const patient = await kit.createUser('PATIENT');
    const overHttp = await sg.query(`subscription { slotReleased { startsAt } }`, {}, patient.token);
    expect(overHttp.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
  });
});
