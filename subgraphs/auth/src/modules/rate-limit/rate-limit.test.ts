import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startSupergraph, type TestSupergraph } from '@hc/testing';
import { LOGIN, createAccount, uniqueEmail } from '../../../test/factories.js';
import { supergraph } from '../../../../../scripts/subgraphs.ts';

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
    for (let i = 0; i < 6; i++) {
      const known = await sg.query(LOGIN, { email: account.email, password: `wrong guess ${i}` });
      const unknown = await sg.query(LOGIN, { email: ghost, password: `wrong guess ${i}` });
      expect(body(known)).toEqual(body(unknown));
      expect(known.errors?.[0]?.extensions?.code).toBe(i < 5 ? 'UNAUTHENTICATED' : 'RATE_LIMITED');
    }
    // Locked: even the right password waits, with the time to wait.
    const right = await sg.query(LOGIN, { email: account.email, password: account.password });
    expect(right.errors?.[0]?.extensions).toMatchObject({ code: 'RATE_LIMITED', retryAfterSeconds: expect.any(Number) });
  });

  it('counts each aliased field: 50 aliased forgotPassword stop at the 6th for one account', async () => {
    const email = uniqueEmail('alias');
    const res = await sg.query(aliased(50, () => `forgotPassword(email: "${email}")`));
    expect(res.errors?.[0]?.extensions?.code).toBe('RATE_LIMITED');
    expect(res.errors?.[0]?.path).toEqual(['a5']);
  });

  it('throttles an aliased login batch per IP within one HTTP request', async () => {
    const account = await createAccount(sg);
    // 13 login attempts from this IP so far (30 allowed): the batch is cut well before its 50th alias.
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
});
