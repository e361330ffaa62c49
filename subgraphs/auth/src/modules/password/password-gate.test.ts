import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startSupergraph, type TestSupergraph } from '@hc/testing';
import { AUTH_TEST_ENV, LOGIN, REGISTER, createAccount, uniqueEmail } from '../../../test/factories.js';
import { supergraph } from '../../../../../scripts/subgraphs.ts';

// One bcrypt slot and one waiting place, at a cost high enough (~0.5 s or more a hash) that the
// test sees the gate full before the first hash is done; waits never time out here.
const GATED_ENV = {
  ...AUTH_TEST_ENV,
  auth: {
    ...AUTH_TEST_ENV.auth,
    BCRYPT_COST: '13',
    PASSWORD_HASH_CONCURRENCY: '1',
    PASSWORD_HASH_QUEUE: '1',
    PASSWORD_HASH_QUEUE_WAIT_MS: '600000',
  },
};

const CHANGE_PASSWORD = 'mutation Change($c: String!, $n: String!) { changePassword(currentPassword: $c, newPassword: $n) }';

/** One series of auth's /metrics (summed over its labels when `labels` is not given). */
function series(text: string, name: string, labels = ''): number {
  return text
    .split('\n')
    .filter((line) => line.startsWith(`${name}{`) || line.startsWith(`${name} `))
    .filter((line) => line.includes(labels))
    .reduce((sum, line) => sum + Number(line.slice(line.lastIndexOf(' ') + 1)), 0);
}

describe('password hashing is bounded: at most PASSWORD_HASH_CONCURRENCY at once, the rest queued or refused', () => {
  let sg: TestSupergraph;
  const metrics = async () => (await fetch(new URL('/metrics', sg.subgraphs.auth.server.url))).text();
  beforeAll(async () => {
    sg = await startSupergraph(supergraph, { envFor: GATED_ENV });
  });
  afterAll(async () => {
    await sg?.stop();
  });

  it('runs one hash, queues one, and answers every further login, sign-up and password change SERVICE_UNAVAILABLE', async () => {
    const account = await createAccount(sg);
    const before = await metrics();
    expect(series(before, 'password_hash_concurrency')).toBe(1);

    // A (right password) takes the slot, B (wrong password) the waiting place.
    const finished: string[] = [];
    const a = sg.query(LOGIN, { email: account.email, password: account.password }).finally(() => finished.push('a'));
    let most = 0;
    /** Polls auth's /metrics until `done` holds, keeping the most hashes seen in flight. */
    const until = async (done: (text: string) => boolean) => {
      for (;;) {
        const text = await metrics();
        most = Math.max(most, series(text, 'password_hash_in_flight'));
        if (done(text)) return;
        if (finished.includes('a')) throw new Error('the first hash ended before the gate was seen full');
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    };
    await until((text) => series(text, 'password_hash_in_flight') === 1);
    const b = sg.query(LOGIN, { email: account.email, password: 'wrong password!' }).finally(() => finished.push('b'));
    await until((text) => series(text, 'password_hash_queue_depth') === 1);

    // The gate is full: every bcrypt user is turned away at once, known and unknown emails alike.
    const refused = await Promise.all([
      sg.query(LOGIN, { email: account.email, password: account.password }),
      sg.query(LOGIN, { email: account.email, password: 'another wrong one' }),
      sg.query(LOGIN, { email: uniqueEmail('nobody'), password: 'whatever password' }),
      sg.query(REGISTER, {
        input: { name: 'Late', email: uniqueEmail('late'), password: 'long enough pw', role: 'PATIENT' },
      }),
      sg.query(CHANGE_PASSWORD, { c: account.password, n: 'a brand new password' }, account.accessToken),
    ]);
    for (const answer of refused) {
      expect(answer.data ?? null).toBeNull();
      expect(answer.errors).toHaveLength(1);
      expect(answer.errors![0].extensions).toMatchObject({ code: 'SERVICE_UNAVAILABLE' });
      expect(answer.errors![0].extensions!.retryAfterSeconds).toBeGreaterThanOrEqual(1);
      expect(answer.errors![0].message).toMatch(/^Too many password checks are in progress/);
      // The gateway turns an answer that is nothing but SERVICE_UNAVAILABLE into a 503 with Retry-After.
      expect(answer.status).toBe(503);
      expect(Number(answer.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    }
    // Unknown email and wrong password are refused alike.
    expect(refused[2].errors![0].message).toBe(refused[1].errors![0].message);

    const [first, second] = await Promise.all([a, b]);
    expect(first.errors).toBeUndefined();
    expect(first.data!.login.user.email).toBe(account.email);
    expect(second.errors![0].extensions!.code).toBe('UNAUTHENTICATED');
    expect(finished).toEqual(['a', 'b']); // first come, first served

    const after = await metrics();
    expect(most).toBe(1);
    expect(series(after, 'password_hash_refusals_total', 'reason="queue_full"')).toBe(5);
    expect(series(after, 'password_hash_in_flight')).toBe(0);
    expect(series(after, 'password_hash_queue_depth')).toBe(0);
    // The sign-up (createAccount), A and B got a slot (B after a wait); the refused ones did not.
    expect(series(after, 'password_hash_queue_wait_seconds_count')).toBe(3);
    expect(series(after, 'password_hash_queue_wait_seconds_sum')).toBeGreaterThan(0);

    // Once the gate is free again, the same login works.
    const again = await sg.query(LOGIN, { email: account.email, password: account.password });
    expect(again.errors).toBeUndefined();
  });
});
