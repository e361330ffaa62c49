import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startTestSubgraph, type TestSubgraph } from '@hc/testing';
import { authSubgraph } from '../server.js';
import { User } from './user/user.entity.js';
import { load, USER_READ_FIELDS } from './loaders.js';
import type { AuthSubgraphContext } from '../context.js';

let sg: TestSubgraph;
beforeAll(async () => {
  sg = await startTestSubgraph(authSubgraph);
});
afterAll(async () => {
  await sg?.stop();
});

describe('load.user (plain read-only rows)', () => {
  it('returns, for every field the API reads, what the entity holds; no secrets; nothing managed', async () => {
    const id = randomUUID();
    const em = sg.orm.em.fork();
    em.create(User, {
      id,
      name: 'Plain Reader',
      email: `plain-${id}@example.test`,
      passwordHash: 'secret-hash',
      phone: '+10000000001',
      role: 'PATIENT',
      isVerified: true,
      emailVerifiedAt: new Date(),
      profilePictureUrl: 'https://example.test/p.png',
      dateOfBirth: '1990-02-03',
      gender: 'other',
    } as never);
    await em.flush();
    const entity = await sg.orm.em.fork().findOneOrFail(User, { id });

    const reqEm = sg.orm.em.fork();
    const ctx = { em: reqEm, loaders: new Map() } as unknown as AuthSubgraphContext;
    const [row, missing] = await Promise.all([load.user(ctx, id), load.user(ctx, randomUUID())]);
    expect(missing).toBeNull();
    expect(row).not.toBeNull();
    for (const f of USER_READ_FIELDS) expect([f, row![f]]).toEqual([f, entity[f]]);
    expect(row!.createdAt).toBeInstanceOf(Date);
    expect(Object.keys(row!).sort()).toEqual([...USER_READ_FIELDS].sort());
    expect(row).not.toHaveProperty('passwordHash');
    expect(reqEm.getUnitOfWork().getIdentityMap().values()).toHaveLength(0);
  });
});
