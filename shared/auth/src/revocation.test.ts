import { describe, expect, it } from '@jest/globals';
import { redisRevocationCheck, revokeTokensIssuedBefore, tokensValidAfterKey, type RevocationRedis } from './index.js';

const fakeRedis = () => {
  const store = new Map<string, { value: string; ttl: number }>();
  const redis: RevocationRedis & { fail?: boolean } = {
    async get(key) {
      if (redis.fail) throw new Error('down');
      return store.get(key)?.value ?? null;
    },
    async set(key, value, _mode, ttl) {
      store.set(key, { value, ttl });
      return 'OK';
    },
  };
  return { redis, store };
};
const user = (issuedAt: number) => ({ id: 'u1', role: 'PATIENT' as const, email: 'p@x.io', issuedAt });

describe('token revocation marker', () => {
  it('rejects tokens issued before the marker, accepts those at or after it, and expires with the token lifetime', async () => {
    const { redis, store } = fakeRedis();
    const isRevoked = redisRevocationCheck(redis, 'p');
    expect(await isRevoked(user(100))).toBe(false);
    await revokeTokensIssuedBefore(redis, 'p', 'u1', 200, 900);
    expect(store.get(tokensValidAfterKey('p', 'u1'))).toEqual({ value: '200', ttl: 960 });
    expect(await isRevoked(user(199))).toBe(true);
    expect(await isRevoked(user(200))).toBe(false);
    expect(await redisRevocationCheck(redis, 'other')(user(1))).toBe(false);
  });

  it('fails closed when Redis cannot answer', async () => {
    const { redis } = fakeRedis();
    redis.fail = true;
    expect(await redisRevocationCheck(redis, 'p')(user(100))).toBe(true);
  });
});
