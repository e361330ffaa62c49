import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, it } from '@jest/globals';
import { Redis } from 'ioredis';
import {
  AuthUnavailableError,
  revocationChannel,
  RevocationCache,
  type RevocationMarker,
  type RevocationSnapshot,
} from './index.js';

const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const user = (id: string, issuedAt: number) => ({ id, role: 'PATIENT' as const, email: 'p@x.io', issuedAt });
const nowS = () => Math.floor(Date.now() / 1000);
const waitFor = async (condition: () => boolean, ms = 5_000) => {
  const until = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > until) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 25));
  }
};

/** The source of truth as auth's endpoint answers it: markers set after `since`, within the window. */
function table(windowSeconds = 900) {
  const rows: RevocationMarker[] = [];
  const state = { down: false, calls: [] as number[] };
  const source = async (since: number): Promise<RevocationSnapshot> => {
    state.calls.push(since);
    if (state.down) throw new Error('connect ECONNREFUSED');
    const now = nowS();
    return { markers: rows.filter((m) => m.validAfter > Math.max(since, now - windowSeconds - 60)), now, windowSeconds };
  };
  return { rows, state, source };
}

const clients: Redis[] = [];
const caches: RevocationCache[] = [];
afterAll(() => {
  for (const c of caches) c.stop();
  for (const c of clients) c.disconnect();
});

describe('RevocationCache', () => {
  it('refuses to answer before its first sync (not a verdict on the token), then polls until the source answers', async () => {
    const { rows, state, source } = table();
    state.down = true;
    rows.push({ userId: 'u1', validAfter: nowS() });
    const cache = new RevocationCache({ source, channel: `test:${randomUUID()}`, pollSeconds: 0.2 });
    caches.push(cache);
    await cache.start();
    expect(() => cache.isRevoked(user('u1', 1))).toThrow(AuthUnavailableError);
    await expect(cache.check()).rejects.toThrow(/not loaded/);
    state.down = false;
    await waitFor(() => cache.state().synced);
    await expect(cache.check()).resolves.toBeUndefined();
    expect(cache.isRevoked(user('u1', rows[0].validAfter - 1))).toBe(true);
    expect(cache.isRevoked(user('u1', rows[0].validAfter))).toBe(false);
    expect(cache.isRevoked(user('other', 1))).toBe(false);
  });

  it('applies a marker published on the channel at once, with no request to the source', async () => {
    const { source, state } = table();
    const channel = revocationChannel(`test:${randomUUID()}`);
    const subscriber = new Redis(REDIS_URL);
    const publisher = new Redis(REDIS_URL);
    clients.push(publisher);
    const cache = new RevocationCache({ source, subscriber, channel, pollSeconds: 60 });
    caches.push(cache);
    await cache.start();
    await waitFor(() => cache.state().subscribed);
    const calls = state.calls.length;
    const validAfter = nowS();
    await publisher.publish(channel, JSON.stringify({ userId: 'u2', validAfter }));
    await waitFor(() => cache.isRevoked(user('u2', validAfter - 1)));
    expect(cache.isRevoked(user('u2', validAfter))).toBe(false);
    // A later marker wins over an earlier one; an earlier one arriving late changes nothing.
    await publisher.publish(channel, JSON.stringify({ userId: 'u2', validAfter: validAfter - 100 }));
    await publisher.publish(channel, 'not json');
    await new Promise((r) => setTimeout(r, 100));
    expect(cache.isRevoked(user('u2', validAfter - 1))).toBe(true);
    expect(state.calls.length).toBe(calls);
  });

  it('while pub/sub cannot connect, keeps the last known state and polls the source every pollSeconds', async () => {
    const { rows, state, source } = table();
    // Nothing listens on port 9: the subscriber never connects (a Redis outage from the start).
    const subscriber = new Redis('redis://127.0.0.1:9', { retryStrategy: () => 200, maxRetriesPerRequest: null });
    subscriber.on('error', () => undefined);
    const cache = new RevocationCache({ source, subscriber, channel: `test:${randomUUID()}`, pollSeconds: 0.2 });
    caches.push(cache);
    await cache.start();
    expect(cache.state()).toMatchObject({ synced: true, subscribed: false });
    expect(cache.isRevoked(user('u3', nowS() - 10))).toBe(false);
    const validAfter = nowS();
    rows.push({ userId: 'u3', validAfter });
    await waitFor(() => cache.isRevoked(user('u3', validAfter - 1)), 2_000);
    // Incremental: later polls ask only for what changed since the previous answer (minus an overlap).
    expect(state.calls.at(-1)).toBeGreaterThan(0);
    // The source failing too: verification goes on with what is known.
    state.down = true;
    await new Promise((r) => setTimeout(r, 500));
    expect(cache.isRevoked(user('u3', validAfter - 1))).toBe(true);
    expect(cache.isRevoked(user('u3', validAfter))).toBe(false);
  });

  it('drops markers older than the token lifetime (no token they could void is still valid)', async () => {
    const { rows, source } = table(30);
    const old = nowS() - 200;
    const cache = new RevocationCache({ source, channel: `test:${randomUUID()}`, pollSeconds: 60 });
    caches.push(cache);
    await cache.start();
    cache.apply({ userId: 'u4', validAfter: old });
    rows.push({ userId: 'u5', validAfter: nowS() });
    await cache.sync();
    expect(cache.isRevoked(user('u4', old - 1))).toBe(false);
    expect(cache.state().markers).toBe(1);
  });
});
