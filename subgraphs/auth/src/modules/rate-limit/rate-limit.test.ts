import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Redis } from 'ioredis';
import { gql, startSupergraph, startTestSubgraph, type TestSupergraph } from '@hc/testing';
import { LOGIN, createAccount, uniqueEmail } from '../../../test/factories.js';
import { supergraph } from '../../../../../scripts/subgraphs.ts';
import { AuthRateLimiter } from './rate-limit.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * GraphQL runs mutation fields one after another and stops at the first failing non-null field,
 * so in an aliased batch the limit shows as a RATE_LIMITED error at the alias that crossed it.
 */
describe('rate limits on public auth operations (Redis, per field resolution)', () => {
  let sg: TestSupergraph;
  beforeAll(async () => {
    sg = await startSupergraph(supergraph, {
      // The alias (15) and root-field (20) caps, at the gateway and in auth alike, would refuse
      // these batches outright; lift them so the per-field count in auth is what is tested.
      env: { QUERY_MAX_ALIASES: '60', QUERY_MAX_ROOT_FIELDS: '60' },
      envFor: {
        auth: { AUTH_OUTBOX_RELAY: 'false', AUTH_RATE_LIMIT_ACCOUNT: '5', AUTH_RATE_LIMIT_IP: '30' },
      },
    });
  });
  afterAll(async () => {
    await sg?.stop();
  });

  const aliased = (n: number, field: (i: number) => string) =>
    `mutation {\n${Array.from({ length: n }, (_, i) => `  a${i}: ${field(i)}`).join('\n')}\n}`;
  const body = (r: { data?: unknown; errors?: { message: string; extensions?: Record<string, unknown> }[] }) => ({
    data: r.data,
    errors: r.errors?.map((e) => ({ message: e.message, code: e.extensions?.code })),
  });

  it('answers a known and an unknown account identically, wrong password and locked alike', async () => {
    const account = await createAccount(sg);
    const ghost = uniqueEmail('ghost');
    // Known and unknown side by side, so both see the same clock (the first wait is 5 s).
    const attempt = (i: number) =>
      Promise.all([
        sg.query(LOGIN, { email: account.email, password: `wrong guess ${i}` }),
        sg.query(LOGIN, { email: ghost, password: `wrong guess ${i}` }),
      ]);
    const free = await Promise.all([0, 1, 2, 3, 4].map(attempt));
    const [known, unknown] = await attempt(5);
    for (const [k, u] of [...free, [known, unknown]]) expect(body(k)).toEqual(body(u));
    expect(free.map(([k]) => k.errors?.[0]?.extensions?.code)).toEqual(Array(5).fill('UNAUTHENTICATED'));
    expect(known.errors?.[0]?.extensions?.code).toBe('RATE_LIMITED');
    // Delayed: even the right password waits, with the time to wait (5 s after the 5 free attempts)...
    const right = await sg.query(LOGIN, { email: account.email, password: account.password });
    expect(right.errors?.[0]?.extensions).toMatchObject({ code: 'RATE_LIMITED', retryAfterSeconds: expect.any(Number) });
    expect(right.errors?.[0]?.extensions?.retryAfterSeconds).toBeLessThanOrEqual(5);
    // ...and a client that waits as told gets in: refused attempts did not push the wait further.
    await sleep(5_100);
    const waited = await sg.query(LOGIN, { email: account.email, password: account.password });
    expect(waited.errors).toBeUndefined();
    expect(waited.data!.login.user.email).toBe(account.email);
  });

  it('counts each aliased field: 50 aliased forgotPassword stop at the 6th for one account', async () => {
    const email = uniqueEmail('alias');
    const res = await sg.query(aliased(50, () => `forgotPassword(email: "${email}")`));
    expect(res.errors?.[0]?.extensions?.code).toBe('RATE_LIMITED');
    expect(res.errors?.[0]?.path).toEqual(['a5']);
  });

  it('throttles an aliased login batch per IP within one HTTP request', async () => {
    const account = await createAccount(sg);
    // 14 login attempts from this IP so far (30 allowed): the batch is cut well before its 50th alias.
    const res = await sg.query(
      aliased(50, () => `login(email: "${account.email}", password: "${account.password}") { accessToken }`),
    );
    expect(res.errors?.[0]?.extensions?.code).toBe('RATE_LIMITED');
    const alias = Number(String(res.errors?.[0]?.path?.[0]).slice(1));
    expect(alias).toBeGreaterThan(0);
    expect(alias).toBeLessThan(30);
  });

  it('keys the IP limit on the address the gateway saw, not a client-sent X-Forwarded-For', async () => {
    const spoofed = await sg.query(
      `mutation { login(email: "${uniqueEmail()}", password: "whatever it is") { accessToken } }`,
      {},
      undefined,
      { 'x-forwarded-for': '198.51.100.7' },
    );
    expect(spoofed.errors?.[0]?.extensions?.code).toBe('RATE_LIMITED');
  });

  /** Straight to auth, as the gateway would forward a client at `address`. */
  const from = (address: string, query: string, variables: Record<string, unknown> = {}) =>
    // As the gateway vouches for a client address: signed (a bare X-Forwarded-For is never believed).
    gql(sg.subgraphs.auth.graphqlUrl, query, variables, { signWith: sg.sharedSecret, client: address });

  it('targeted lockout: an attacker guessing from one address cannot keep the owner out', async () => {
    const victim = await createAccount(sg);
    const answers: unknown[] = [];
    for (let i = 0; i < 9; i++) {
      const r = await from('203.0.113.10', LOGIN, { email: victim.email, password: `guess number ${i}` });
      answers.push(r.errors?.[0]?.extensions?.code);
      if (i >= 5) expect(r.errors?.[0]?.extensions?.retryAfterSeconds).toBeLessThanOrEqual(5); // refusals do not extend the wait
    }
    expect(answers).toEqual([...Array(5).fill('UNAUTHENTICATED'), ...Array(4).fill('RATE_LIMITED')]);
    // The owner elsewhere — even on an address the account never signed in from — gets straight in.
    const elsewhere = await from('198.51.100.20', LOGIN, { email: victim.email, password: victim.password });
    expect(elsewhere.errors).toBeUndefined();
    // Behind the attacker's address (a shared NAT), the owner waits the told 5 s and gets in.
    const shared = await from('203.0.113.10', LOGIN, { email: victim.email, password: victim.password });
    expect(shared.errors?.[0]?.extensions?.code).toBe('RATE_LIMITED');
    await sleep(5_100);
    const after = await from('203.0.113.10', LOGIN, { email: victim.email, password: victim.password });
    expect(after.errors).toBeUndefined();
  });

  it('distributed guessing: the account-wide tier allows one guess per slot; the owner on a proved address is never delayed', async () => {
    const victim = await createAccount(sg);
    // The owner signs in from home before the attack: that address is now proved.
    expect((await from('198.51.100.40', LOGIN, { email: victim.email, password: victim.password })).errors).toBeUndefined();
    const codes: unknown[] = [];
    // 5 x 5 = 25 free attempts account-wide, from 30 addresses with one guess each.
    for (let i = 0; i < 30; i++) {
      const r = await from(`192.0.2.${i + 1}`, LOGIN, { email: victim.email, password: `guess number ${i}` });
      codes.push(r.errors?.[0]?.extensions?.code);
    }
    expect(codes.filter((c) => c === 'UNAUTHENTICATED')).toHaveLength(25);
    expect(codes.slice(25)).toEqual(Array(5).fill('RATE_LIMITED'));
    // Parallel guesses from fresh addresses when the slot opens: one is judged, the rest refused.
    await sleep(5_100);
    const burst = await Promise.all(
      Array.from({ length: 10 }, (_, i) => from(`192.0.2.${100 + i}`, LOGIN, { email: victim.email, password: `burst ${i}` })),
    );
    const burstCodes = burst.map((r) => r.errors?.[0]?.extensions?.code);
    expect(burstCodes.filter((c) => c === 'UNAUTHENTICATED')).toHaveLength(1);
    expect(burstCodes.filter((c) => c === 'RATE_LIMITED')).toHaveLength(9);
    // The wait doubles per judged guess (5 s, then 10 s).
    const next = await from('192.0.2.200', LOGIN, { email: victim.email, password: 'yet another guess' });
    expect(next.errors?.[0]?.extensions?.retryAfterSeconds).toBeGreaterThan(5);
    expect(next.errors?.[0]?.extensions?.retryAfterSeconds).toBeLessThanOrEqual(10);
    // The owner, from the address the account proved itself on, gets in at once.
    const owner = await from('198.51.100.40', LOGIN, { email: victim.email, password: victim.password });
    expect(owner.errors).toBeUndefined();
    // From an address never proved, the owner shares the attackers' slot (the documented limit).
    const stranger = await from('192.0.2.250', LOGIN, { email: victim.email, password: victim.password });
    expect(stranger.errors?.[0]?.extensions?.code).toBe('RATE_LIMITED');
  });

  it('forgotPassword: requests for someone else from one address do not stop the owner asking for a code', async () => {
    const victim = await createAccount(sg);
    const FORGOT = `mutation($e: String!) { forgotPassword(email: $e) }`;
    const codes: unknown[] = [];
    for (let i = 0; i < 7; i++)
      codes.push((await from('203.0.113.30', FORGOT, { e: victim.email })).errors?.[0]?.extensions?.code);
    expect(codes).toEqual([...Array(5).fill(undefined), 'RATE_LIMITED', 'RATE_LIMITED']);
    const conn = sg.subgraphs.auth.orm.em.getConnection();
    const count = async () =>
      Number(
        (
          await conn.execute(
            `select count(*)::int as n from outbox where payload->>'template' = 'auth.password_reset' and payload->>'userId' = ?`,
            [victim.id],
          )
        )[0].n,
      );
    const before = await count();
    const own = await from('198.51.100.30', FORGOT, { e: victim.email });
    expect(own.data).toEqual({ forgotPassword: true });
    expect(await count()).toBe(before + 1);
  });

  it('changePassword is limited per user: 5 wrong current passwords, then a growing wait; the right one after it works', async () => {
    const account = await createAccount(sg);
    const CHANGE = `mutation($c: String!, $n: String!) { changePassword(currentPassword: $c, newPassword: $n) }`;
    const codes: unknown[] = [];
    for (let i = 0; i < 6; i++) {
      const r = await sg.query(CHANGE, { c: `wrong current ${i}`, n: 'brand new password' }, account.accessToken);
      codes.push(r.errors?.[0]?.extensions?.code);
    }
    expect(codes).toEqual([...Array(5).fill('BAD_USER_INPUT'), 'RATE_LIMITED']);
    await sleep(5_100);
    const ok = await sg.query(CHANGE, { c: account.password, n: 'brand new password' }, account.accessToken);
    expect(ok.data).toEqual({ changePassword: true });
  });
});

const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const srv = createServer();
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
    srv.on('error', reject);
  });

describe('rate limits when Redis cannot answer', () => {
  it('a limiter whose Redis client points at a closed port answers SERVICE_UNAVAILABLE with retryAfterSeconds', async () => {
    const redis = new Redis(`redis://127.0.0.1:${await freePort()}`, { maxRetriesPerRequest: 1, retryStrategy: () => 100 });
    redis.on('error', () => undefined);
    const limiter = new AuthRateLimiter({ redis, prefix: 'test:closed', perIp: 10, perAccount: 5, windowSeconds: 60 });
    try {
      const started = Date.now();
      await expect(limiter.consume('login', '127.0.0.1', ['someone@example.com'])).rejects.toMatchObject({
        extensions: { code: 'SERVICE_UNAVAILABLE', retryAfterSeconds: expect.any(Number) },
      });
      expect(Date.now() - started).toBeLessThan(1_000); // fails fast, does not hang the request
    } finally {
      redis.disconnect();
    }
  });

  it('through GraphQL: login and forgotPassword answer SERVICE_UNAVAILABLE while Redis is down, and work again after', async () => {
    const port = await freePort();
    const startRedis = () =>
      spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
        stdio: 'ignore',
      });
    const waitUp = async () => {
      for (let i = 0; i < 50; i++) {
        const probe = new Redis(`redis://127.0.0.1:${port}`, {
          lazyConnect: true,
          maxRetriesPerRequest: 0,
          retryStrategy: () => null,
        });
        probe.on('error', () => undefined);
        try {
          await probe.connect();
          await probe.ping();
          return;
        } catch {
          await sleep(100);
        } finally {
          probe.disconnect();
        }
      }
      throw new Error('test redis-server did not start');
    };
    let server: ChildProcess = startRedis();
    await waitUp();
    const auth = await startTestSubgraph(supergraph.subgraphs.auth, {
      envFor: { auth: { REDIS_URL: `redis://127.0.0.1:${port}`, AUTH_OUTBOX_RELAY: 'false' } },
    });
    const login = () =>
      gql(auth.graphqlUrl, `mutation { login(email: "${uniqueEmail('down')}", password: "whatever it is") { accessToken } }`);
    try {
      expect((await login()).errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
      server.kill('SIGKILL');
      await new Promise((resolve) => server.once('exit', resolve));
      const down = await login();
      expect(down.errors?.[0]?.extensions).toEqual({ code: 'SERVICE_UNAVAILABLE', retryAfterSeconds: 10 });
      const forgot = await gql(auth.graphqlUrl, `mutation { forgotPassword(email: "${uniqueEmail()}") }`);
      expect(forgot.errors?.[0]?.extensions?.code).toBe('SERVICE_UNAVAILABLE');
      server = startRedis();
      await waitUp();
      let back: unknown;
      for (let i = 0; i < 40 && back !== 'UNAUTHENTICATED'; i++) {
        await sleep(100);
        back = (await login()).errors?.[0]?.extensions?.code;
      }
      expect(back).toBe('UNAUTHENTICATED');
    } finally {
      await auth.stop();
      server.kill('SIGKILL');
    }
  });
});
