import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Queue } from 'bullmq';
import { QUEUES, type CareRelationshipEvent } from '@hc/jobs';
import { startSupergraph, TEST_REDIS_URL, type TestSupergraph } from '@hc/testing';
import { AUTH_TEST_ENV, createAccount, type TestAccount } from '../../../test/factories.js';
import { supergraph } from '../../../../../scripts/subgraphs.ts';

const PROFILE = /* GraphQL */ `
  query ($id: ID!) {
    user(id: $id) {
      id
      email
      addresses {
        id
        city
      }
      patientProfile {
        allergies
        medicalHistory
      }
    }
  }
`;

describe('profiles, addresses and who may read them (through the gateway)', () => {
  let sg: TestSupergraph;
  let alice: TestAccount;
  let bob: TestAccount;
  let doctor: TestAccount;
  beforeAll(async () => {
    sg = await startSupergraph(supergraph, { envFor: AUTH_TEST_ENV });
    [alice, bob, doctor] = await Promise.all([
      createAccount(sg, { name: 'Alice' }),
      createAccount(sg, { name: 'Bob' }),
      createAccount(sg, { role: 'DOCTOR', name: 'Dr Who' }),
    ]);
  });
  afterAll(async () => {
    await sg?.stop();
  });

  it('lets a user edit their profile, health profile and address book', async () => {
    const upd = await sg.query(
      `mutation { updateProfile(input: { name: "Alice A", phone: "+44 20 7946 0958", gender: "f", dateOfBirth: "1990-02-03" }) { name phone gender dateOfBirth } }`,
      {},
      alice.accessToken,
    );
    expect(upd.errors).toBeUndefined();
    expect(upd.data!.updateProfile).toEqual({ name: 'Alice A', phone: '+442079460958', gender: 'f', dateOfBirth: '1990-02-03' });
    const bad = await sg.query(`mutation { updateProfile(input: { phone: "nope" }) { id } }`, {}, alice.accessToken);
    expect(bad.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', fields: [{ field: 'phone' }] });

    const hp = await sg.query(
      `mutation { updatePatientProfile(input: { allergies: ["penicillin", " "], medicalHistory: "asthma" }) { allergies medicalHistory } }`,
      {},
      alice.accessToken,
    );
    expect(hp.data!.updatePatientProfile).toEqual({ allergies: ['penicillin'], medicalHistory: 'asthma' });
    const notPatient = await sg.query(
      `mutation { updatePatientProfile(input: { allergies: [] }) { allergies } }`,
      {},
      doctor.accessToken,
    );
    expect(notPatient.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');

    const add = (city: string, isDefault?: boolean) =>
      sg.query(
        `mutation($i: AddressInput!) { addAddress(input: $i) { id city isDefault } }`,
        { i: { type: 'HOME', street: '1 Main St', city, country: 'EG', ...(isDefault === undefined ? {} : { isDefault }) } },
        alice.accessToken,
      );
    const first = (await add('Cairo')).data!.addAddress;
    expect(first.isDefault).toBe(true);
    const second = (await add('Giza', true)).data!.addAddress;
    expect(second.isDefault).toBe(true);
    const moved = await sg.query(
      `mutation($id: ID!) { updateAddress(id: $id, input: { type: WORK, street: "2 Side St", city: "Alexandria", country: "EG" }) { city type isDefault } }`,
      { id: first.id },
      alice.accessToken,
    );
    expect(moved.data!.updateAddress).toEqual({ city: 'Alexandria', type: 'WORK', isDefault: false });
    const me = await sg.query(`{ me { addresses { city isDefault } patientProfile { allergies } } }`, {}, alice.accessToken);
    expect(me.data!.me.addresses).toEqual([
      { city: 'Alexandria', isDefault: false },
      { city: 'Giza', isDefault: true },
    ]);
    expect(me.data!.me.patientProfile).toEqual({ allergies: ['penicillin'] });
    const removed = await sg.query(`mutation($id: ID!) { removeAddress(id: $id) }`, { id: first.id }, alice.accessToken);
    expect(removed.data).toEqual({ removeAddress: true });
  });

  it("does not let a patient read or change another patient's profile or addresses", async () => {
    const aliceAddress = (
      await sg.query(
        `mutation { addAddress(input: { type: HOME, street: "3 Nile St", city: "Luxor", country: "EG" }) { id } }`,
        {},
        alice.accessToken,
      )
    ).data!.addAddress.id;
    const read = await sg.query(PROFILE, { id: alice.id }, bob.accessToken);
    expect(read.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    expect(read.data?.user ?? null).toBeNull();
    for (const op of [
      `mutation($id: ID!) { updateAddress(id: $id, input: { type: HOME, street: "x", city: "y", country: "EG" }) { id } }`,
      `mutation($id: ID!) { removeAddress(id: $id) }`,
    ]) {
      const res = await sg.query(op, { id: aliceAddress }, bob.accessToken);
      expect(res.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    }
    // Reaching Alice as an entity (as another subgraph would) does not open her data to Bob either.
    const entity = await sg.subgraphQuery(
      'auth',
      `query($r: [_Any!]!) { _entities(representations: $r) { ... on User { name addresses { city } } } }`,
      { r: [{ __typename: 'User', id: alice.id }] },
      bob.accessToken,
    );
    expect(entity.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect(JSON.stringify(entity)).not.toContain('Luxor');
    // The owner and admins see it.
    expect((await sg.query(PROFILE, { id: alice.id }, alice.accessToken)).errors).toBeUndefined();
    const admin = sg.tokenFor({ id: randomUUID(), role: 'ADMIN' });
    const byAdmin = await sg.query(PROFILE, { id: alice.id }, admin);
    expect(byAdmin.errors).toBeUndefined();
    expect(byAdmin.data!.user.email).toBe(alice.email);
  });

  it('opens health data to a doctor only while a care relationship (care.changed) is active', async () => {
    const query = `query($r: [_Any!]!) { _entities(representations: $r) { ... on User { email patientProfile { medicalHistory } } } }`;
    const asDoctor = () => sg.subgraphQuery('auth', query, { r: [{ __typename: 'User', id: alice.id }] }, doctor.accessToken);
    expect((await asDoctor()).errors?.[0]?.extensions?.code).toBe('FORBIDDEN');

    const queue = new Queue<CareRelationshipEvent>(QUEUES.authEvents, {
      connection: { url: TEST_REDIS_URL },
      prefix: sg.redisPrefix,
    });
    const send = (active: boolean, occurredAt: string) =>
      queue.add(
        'care.changed',
        {
          patientId: alice.id,
          staffUserIds: [doctor.id],
          active,
          occurredAt,
          // The patient's own booking grants at once (consent; see care.service).
          staff: [
            { staffUserId: doctor.id, active, ...(active ? { grantedBy: 'PATIENT' as const, reason: 'appointment' } : {}) },
          ],
        },
        { jobId: randomUUID() },
      );
    const until = async (pred: (r: { data?: any; errors?: any[] }) => boolean) => {
      for (let i = 0; i < 100; i++) {
        const r = await asDoctor();
        if (pred(r)) return r;
        await new Promise((res) => setTimeout(res, 50));
      }
      throw new Error('care event not applied');
    };
    try {
      const t0 = Date.now();
      await send(true, new Date(t0).toISOString());
      const allowed = await until((r) => !r.errors);
      expect(allowed.data!._entities[0]).toEqual({ email: alice.email, patientProfile: { medicalHistory: 'asthma' } });
      // A stale event (older than the stored state) changes nothing; a newer revoke closes access.
      await send(false, new Date(t0 - 60_000).toISOString());
      await new Promise((res) => setTimeout(res, 300));
      expect((await asDoctor()).errors).toBeUndefined();
      await send(false, new Date(t0 + 1_000).toISOString());
      await until((r) => r.errors?.[0]?.extensions?.code === 'FORBIDDEN');
    } finally {
      await queue.close();
    }
  });

  it('ignores client-supplied identity headers', async () => {
    const headers = { 'x-user-id': alice.id, 'x-user-role': 'ADMIN', 'x-user-email': alice.email };
    const anon = await sg.query(`{ me { id } }`, {}, undefined, headers);
    expect(anon.data!.me).toBeNull();
    const asBob = await sg.query(PROFILE, { id: alice.id }, bob.accessToken, headers);
    expect(asBob.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    const users = await sg.query(`{ users { totalCount } }`, {}, bob.accessToken, headers);
    expect(users.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });

  it('lists users for admins with paging and a role filter', async () => {
    const admin = sg.tokenFor({ id: randomUUID(), role: 'ADMIN' });
    const page = await sg.query(
      `{ users(role: PATIENT, first: 1) { totalCount nodes { id role } pageInfo { hasNextPage endCursor } } }`,
      {},
      admin,
    );
    expect(page.errors).toBeUndefined();
    expect(page.data!.users.totalCount).toBe(2);
    expect(page.data!.users.nodes).toHaveLength(1);
    expect(page.data!.users.pageInfo.hasNextPage).toBe(true);
    const next = await sg.query(
      `query($a: String) { users(role: PATIENT, first: 5, after: $a) { nodes { id } pageInfo { hasNextPage } } }`,
      { a: page.data!.users.pageInfo.endCursor },
      admin,
    );
    expect(next.data!.users.nodes).toHaveLength(1);
    expect(next.data!.users.pageInfo.hasNextPage).toBe(false);
  });
});
