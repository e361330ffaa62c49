import { describe, expect, it } from '@jest/globals';
import { buildSchema, parse, type ExecutionResult, type FormattedExecutionResult } from 'graphql';
import type { AuthUser } from '@hc/auth';
import type { AppointmentChangedEvent } from '@hc/graphql';
import type { Logger } from '@hc/logger';
import { createAppointmentFanout, readsOnlyShareableFields, type Delivery, type Member } from './fanout.js';

// The part of the API schema (gateway/supergraph.graphql) the selections below touch.
const schema = buildSchema(`
  scalar DateTime
  type Query { appointment(id: ID!): Appointment }
  type Subscription { appointmentUpdated(workplaceId: ID, doctorId: ID): AppointmentEvent! }
  type AppointmentEvent { type: String! occurredAt: DateTime! appointment: Appointment! }
  type Appointment {
    id: ID! startsAt: DateTime! endsAt: DateTime! status: String! notes: String cancellationReason: String
    createdAt: DateTime! updatedAt: DateTime! patient: User! doctor: Doctor! workplace: Workplace!
  }
  type User {
    id: ID! name: String! role: String! email: String! phone: String dateOfBirth: String gender: String
    addresses: [Address!]! patientProfile: PatientProfile
  }
  type Address { id: ID! }
  type PatientProfile { allergies: [String!]! }
  type Doctor { id: ID! specialization: String! licenseNumber: String! user: User! }
  type Workplace { id: ID! name: String! }
`);
const silent = { warn: () => undefined } as unknown as Logger;
const flush = () => new Promise((r) => setTimeout(r, 10));

const SHAREABLE = `subscription { appointmentUpdated { type appointment { id status patient { name } doctor { user { name } } workplace { name } } } }`;
const AUDITED = `subscription { appointmentUpdated { type appointment { id notes } } }`;
const EVENT_ONLY = `subscription { appointmentUpdated { type occurredAt } }`;

const users = {
  patient: { id: 'p1', role: 'PATIENT' },
  doctor: { id: 'd1', role: 'DOCTOR' },
  a1: { id: 'a1', role: 'ASSISTANT' },
  a2: { id: 'a2', role: 'ASSISTANT' },
  stranger: { id: 's1', role: 'PATIENT' },
} as const;

const event = (over: Partial<AppointmentChangedEvent> = {}): AppointmentChangedEvent => ({
  type: 'BOOKED',
  appointmentId: 'ap1',
  doctorId: 'doc1',
  workplaceId: 'wp1',
  allowedUserIds: ['p1', 'd1', 'a1', 'a2'],
  audience: { patientId: 'p1', doctorUserId: 'd1', assistantUserIds: ['a1', 'a2'] },
  occurredAt: '2027-01-01T10:00:00.000Z',
  ...over,
});

function setup(
  answer: (member: Member) => FormattedExecutionResult | null | Promise<FormattedExecutionResult | null> = () => ({
    data: { a0: { id: 'ap1' } },
  }),
  options: { isRevoked?: (u: AuthUser) => boolean } = {},
) {
  const calls: { user: string; query: string }[] = [];
  const fanout = createAppointmentFanout({
    logger: silent,
    isRevoked: options.isRevoked ?? (() => false),
    execute: async (member, query) => {
      calls.push({ user: member.user.id, query });
      return answer(member);
    },
  });
  const add = (who: keyof typeof users, query: string, variables: Record<string, unknown> = {}) => {
    const got: ExecutionResult[] = [];
    const deliveries: Delivery[] = [];
    const closed: number[] = [];
    const u = users[who];
    const remove = fanout.add(
      {
        user: { id: u.id, role: u.role, email: '', issuedAt: 0 },
        authorization: `Bearer ${who}`,
        unauthorized: () => closed.push(4401),
      },
      { schema, document: parse(query), variables },
      (d) => {
        deliveries.push(d);
        got.push(d.result);
      },
    );
    return { got, deliveries, closed, remove };
  };
  return { fanout, calls, add };
}

describe('readsOnlyShareableFields', () => {
  it('accepts only unaudited, viewer-independent fields', () => {
    expect(readsOnlyShareableFields(schema, parse(SHAREABLE))).toBe(true);
    expect(readsOnlyShareableFields(schema, parse(EVENT_ONLY))).toBe(true);
    expect(readsOnlyShareableFields(schema, parse(AUDITED))).toBe(false);
    for (const field of ['email', 'phone', 'dateOfBirth', 'gender', 'patientProfile { allergies }', 'addresses { id }'])
      expect(
        readsOnlyShareableFields(schema, parse(`subscription { appointmentUpdated { appointment { patient { ${field} } } } }`)),
      ).toBe(false);
    // Through a fragment, still found.
    expect(
      readsOnlyShareableFields(
        schema,
        parse(`subscription { appointmentUpdated { appointment { ...A } } } fragment A on Appointment { id notes }`),
      ),
    ).toBe(false);
    expect(
      readsOnlyShareableFields(schema, parse(`subscription { appointmentUpdated { appointment { doctor { licenseNumber } } } }`)),
    ).toBe(false);
  });
});

describe('createAppointmentFanout', () => {
  it('fetches once per user and selection, once for the assistants of the event on shareable fields, never for a stranger', async () => {
    const { fanout, calls, add } = setup();
    const a1 = Array.from({ length: 5 }, () => add('a1', SHAREABLE));
    const a2 = Array.from({ length: 3 }, () => add('a2', SHAREABLE));
    const a1Audited = add('a1', AUDITED);
    const a2Audited = add('a2', AUDITED);
    const patient = Array.from({ length: 2 }, () => add('patient', SHAREABLE));
    const doctor = add('doctor', EVENT_ONLY);
    const stranger = add('stranger', SHAREABLE);
    fanout.dispatch(event());
    await flush();
    // assistants' shareable selection 1, audited per assistant 2, patient 1, event-only 0.
    expect(calls.map((c) => c.user).sort()).toEqual(['a1', 'a1', 'a2', 'p1']);
    for (const s of [...a1, ...a2, a1Audited, a2Audited, ...patient, doctor]) expect(s.got).toHaveLength(1);
    expect(doctor.got[0]).toEqual({ data: { appointmentUpdated: { type: 'BOOKED', occurredAt: '2027-01-01T10:00:00.000Z' } } });
    expect(stranger.got).toHaveLength(0);
    // One answer object (serialized once) for the whole assistant group.
    const shared = a1[0]!.deliveries[0]!;
    for (const s of [...a1, ...a2]) expect(s.deliveries[0]).toBe(shared);
    expect(a1Audited.deliveries[0]).not.toBe(a2Audited.deliveries[0]);
    expect(fanout.size).toEqual({ subscribers: 14, users: 5, plans: 3 });
  });

  it('shares nothing across users without the audience, or with a user in two roles', async () => {
    const { fanout, calls, add } = setup();
    add('a1', SHAREABLE);
    add('a2', SHAREABLE);
    fanout.dispatch(event({ audience: undefined }));
    await flush();
    expect(calls).toHaveLength(2);
    calls.length = 0;
    // a1 is also the patient of this appointment: per user.
    fanout.dispatch(
      event({
        allowedUserIds: ['a1', 'd1', 'a2'],
        audience: { patientId: 'a1', doctorUserId: 'd1', assistantUserIds: ['a1', 'a2'] },
      }),
    );
    await flush();
    expect(calls.map((c) => c.user).sort()).toEqual(['a1', 'a2']);
  });

  it('re-checks every member token: a revoked one is closed with 4401 and gets nothing, the others still do', async () => {
    const { fanout, calls, add } = setup(undefined, { isRevoked: (u) => u.id === 'a1' });
    const revoked = add('a1', SHAREABLE);
    const fine = add('a2', SHAREABLE);
    fanout.dispatch(event());
    await flush();
    expect(revoked.closed).toEqual([4401]);
    expect(revoked.got).toHaveLength(0);
    expect(fine.got).toHaveLength(1);
    expect(calls.map((c) => c.user)).toEqual(['a2']);
  });

  it('retries with another member when the fetching token is refused, and falls back to own fetches on NOT_FOUND', async () => {
    const refused = setup((m) =>
      m.user.id === 'a1'
        ? { errors: [{ message: 'no', extensions: { code: 'UNAUTHENTICATED' } }] }
        : { data: { a0: { id: 'ap1' } } },
    );
    const r1 = refused.add('a1', SHAREABLE);
    const r2 = refused.add('a2', SHAREABLE);
    refused.fanout.dispatch(event());
    await flush();
    expect(r1.closed).toEqual([4401]);
    expect(r1.got).toHaveLength(0);
    expect(r2.got).toHaveLength(1);

    const unassigned = setup((m) =>
      m.user.id === 'a1'
        ? { errors: [{ message: 'gone', extensions: { code: 'NOT_FOUND' } }], data: { a0: null } }
        : { data: { a0: { id: 'ap1' } } },
    );
    const u1 = unassigned.add('a1', SHAREABLE);
    const u2 = unassigned.add('a2', SHAREABLE);
    unassigned.fanout.dispatch(event());
    await flush();
    expect(u1.got).toHaveLength(0);
    expect(u2.got).toHaveLength(1);
    expect(unassigned.calls.map((c) => c.user)).toEqual(['a1', 'a2']);
  });

  it('keeps publish order per subscriber when a later event resolves first, and a failing group blocks no other', async () => {
    let n = 0;
    const { fanout, add } = setup(async (m) => {
      const mine = n++;
      if (m.user.id === 'p1') throw new Error('subgraph down');
      await new Promise((r) => setTimeout(r, mine === 0 ? 30 : 0)); // the first event answers last
      return { data: { a0: { id: `ap${mine}` } } };
    });
    const doctor = add('doctor', `subscription { appointmentUpdated { type appointment { id } } }`);
    const patient = add('patient', SHAREABLE);
    fanout.dispatch(event({ type: 'BOOKED' }));
    fanout.dispatch(event({ type: 'CANCELLED' }));
    await new Promise((r) => setTimeout(r, 60));
    expect(doctor.got.map((r) => (r.data as any).appointmentUpdated.type)).toEqual(['BOOKED', 'CANCELLED']);
    expect(patient.got).toHaveLength(0);
  });

  it('delivers nothing after removal and frees the plan', async () => {
    const { fanout, add } = setup();
    const s = add('a1', SHAREABLE);
    s.remove();
    fanout.dispatch(event());
    await flush();
    expect(s.got).toHaveLength(0);
    expect(fanout.size).toEqual({ subscribers: 0, users: 0, plans: 0 });
  });
});
