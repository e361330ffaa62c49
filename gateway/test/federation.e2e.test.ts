import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startSupergraph, type TestSupergraph } from '@hc/testing';
import { seedDoctors } from './support.js';
import { supergraph } from '../../scripts/subgraphs.ts';

const DIRECTORY = /* GraphQL */ `
  query Directory($first: Int, $spec: String) {
    doctors(first: $first, filter: { specialization: $spec }) {
      totalCount
      nodes {
        specialization
        user {
          name
          doctorProfile {
            id
          }
        }
      }
    }
  }
`;

describe('walking skeleton through the gateway', () => {
  let sg: TestSupergraph;
  beforeAll(async () => {
    sg = await startSupergraph(supergraph);
    await seedDoctors(sg, 3, 'small');
    await seedDoctors(sg, 30, 'large');
  });
  afterAll(async () => {
    await sg?.stop();
  });

  it('answers /health and /ready', async () => {
    expect((await fetch(`${sg.gatewayUrl}/health`)).status).toBe(200);
    const ready = await fetch(`${sg.gatewayUrl}/ready`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({
      status: 'ready',
      checks: { redis: 'ok', revocations: 'ok', auth: 'ok', doctor: 'ok', notification: 'ok', pharmacy: 'ok' },
    });
  });

  it('resolves a query that starts in doctor, crosses to auth and comes back', async () => {
    const res = await sg.query(DIRECTORY, { first: 10, spec: 'small-spec' });
    expect(res.errors).toBeUndefined();
    const doctors = res.data!.doctors;
    expect(doctors.totalCount).toBe(3);
    expect(doctors.nodes).toHaveLength(3);
    for (const node of doctors.nodes) {
      expect(node.specialization).toBe('small-spec');
      expect(node.user.name).toMatch(/^Dr small \d$/);
      expect(node.user.doctorProfile.id).toMatch(/^[0-9a-f-]{36}$/);
    }
  });

  it('keeps SQL statements per request constant as the page grows (batched references)', async () => {
    const measure = async (first: number) => {
      const before = sg.statements();
      const res = await sg.query(DIRECTORY, { first, spec: 'large-spec' });
      expect(res.errors).toBeUndefined();
      expect(res.data!.doctors.nodes).toHaveLength(first);
      const after = sg.statements();
      return after.auth - before.auth + (after.doctor - before.doctor);
    };
    const small = await measure(3);
    const large = await measure(30);
    expect(small).toBeGreaterThan(0);
    expect(large).toBe(small);
  });

  it('answers an invalid token with UNAUTHENTICATED and HTTP 401', async () => {
    const res = await sg.query('{ me { id } }', {}, 'not.a.token');
    expect(res.status).toBe(401);
    expect(res.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
  });

  it('ignores client-supplied identity headers', async () => {
    const res = await sg.query('{ me { id } }', {}, undefined, { 'x-user-id': randomUUID(), 'x-user-role': 'ADMIN' });
    expect(res.errors).toBeUndefined();
    expect(res.data!.me).toBeNull();
  });

  it('lets a signed-in caller read their own user through auth, verified against the JWKS', async () => {
    const userId = randomUUID();
    await sg.subgraphs.auth.orm.em
      .getConnection()
      .execute(
        `insert into users (id, name, email, password_hash, role, is_verified) values (?, 'Pat', ?, 'x', 'PATIENT', true)`,
        [userId, `pat.${userId.slice(0, 8)}@example.com`],
      );
    const res = await sg.query('{ me { id name email role } }', {}, sg.tokenFor({ id: userId, role: 'PATIENT' }));
    expect(res.errors).toBeUndefined();
    expect(res.data!.me).toMatchObject({ id: userId, name: 'Pat', role: 'PATIENT' });
  });
});
