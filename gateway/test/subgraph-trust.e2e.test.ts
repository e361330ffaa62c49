import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { authEnv, doctorEnv, gatewayEnv, loadConfig } from '@hc/config';
import { signGatewayRequest } from '@hc/graphql';
import { startSupergraph, startTestSubgraph, type TestSupergraph, type TestSubgraph } from '@hc/testing';
import { DIRECTORY, post, seedDoctors } from './support.js';
import { subgraphs, supergraph } from '../../scripts/subgraphs.ts';

const SECRET = 's'.repeat(20) + '-subgraph-trust-test-secret';
const LOGIN = 'mutation ($email: String!) { login(email: $email, password: "not the password") { accessToken } }';

/** POSTs `body` to a subgraph's /graphql with the given signature headers (or none). */
async function direct(url: string, body: string, headers: Record<string, string> = {}) {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
  const text = await res.text();
  return { status: res.status, body: JSON.parse(text) as { data?: any; errors?: { message: string; extensions?: any }[] } };
}

const signed = (url: string, body: string, extra: { client?: string; now?: number } = {}) =>
  signGatewayRequest(SECRET, { method: 'POST', path: new URL(url).pathname, body, ...extra });

/** `{ doctors { nodes { user { doctorProfile { user ... } } } } }`: 2 levels per step. */
const deep = (levels: number) => {
  let inner = 'id';
  for (let i = 0; i < levels; i++) inner = `user { doctorProfile { ${inner} } }`;
  return `{ doctors(first: 1) { nodes { ${inner} } } }`;
};

describe('subgraphs trust only the gateway', () => {
  let sg: TestSupergraph;
  beforeAll(async () => {
    sg = await startSupergraph(supergraph, {
      env: { SUBGRAPH_SHARED_SECRET: SECRET },
      envFor: { auth: { AUTH_OUTBOX_RELAY: 'false' } },
    });
    await seedDoctors(sg, 2, 'trust');
  });
  afterAll(async () => {
    await sg?.stop();
  });

  it('production refuses to start the gateway or a subgraph without SUBGRAPH_SHARED_SECRET', () => {
    const prod = { NODE_ENV: 'production', CACHE_REDIS_URL: 'redis://127.0.0.1:6379/1', JWT_PRIVATE_KEY: 'x' };
    for (const schema of [gatewayEnv, authEnv, doctorEnv])
      expect(() => loadConfig(schema, prod)).toThrow(/SUBGRAPH_SHARED_SECRET/);
    expect(() => loadConfig(doctorEnv, { ...prod, SUBGRAPH_SHARED_SECRET: SECRET })).not.toThrow();
  });

  it('serves normal traffic through the gateway (signed fetches across subgraphs)', async () => {
    const res = await post(sg.url, { query: DIRECTORY, variables: { first: 5, spec: 'trust-spec' } });
    expect(res.status).toBe(200);
    expect(res.body.errors).toBeUndefined();
    expect(res.body.data?.doctors.totalCount).toBe(2);
    expect(res.body.data?.doctors.nodes[0].user.name).toMatch(/^Dr trust/);
  });

  it('refuses a direct, unsigned call to a subgraph before GraphQL (no anonymous _entities)', async () => {
    const body = JSON.stringify({ query: '{ _entities(representations: [{ __typename: "User", id: "x" }]) { __typename } }' });
    for (const name of ['auth', 'doctor', 'notification', 'pharmacy'] as const) {
      const res = await direct(sg.subgraphs[name].graphqlUrl, body);
      expect(res.status).toBe(401);
      expect(res.body.errors?.[0]?.extensions?.reason).toBe('GATEWAY_SIGNATURE');
      expect(res.body.data).toBeUndefined();
    }
  });

  it('refuses a replayed signature older than the skew window', async () => {
    const url = sg.subgraphs.doctor.graphqlUrl;
    const body = JSON.stringify({ query: '{ doctors(first: 1) { totalCount } }' });
    const fresh = await direct(url, body, signed(url, body));
    expect(fresh.status).toBe(200);
    expect(fresh.body.data?.doctors.totalCount).toBe(2);
    const old = await direct(url, body, signed(url, body, { now: Date.now() - 60_000 }));
    expect(old.status).toBe(401);
    const future = await direct(url, body, signed(url, body, { now: Date.now() + 60_000 }));
    expect(future.status).toBe(401);
  });

  it('refuses a tampered body, client address or path (403)', async () => {
    const url = sg.subgraphs.doctor.graphqlUrl;
    const body = JSON.stringify({ query: '{ doctors(first: 1) { totalCount } }' });
    const headers = signed(url, body, { client: '203.0.113.5' });
    const tampered = body.replace('first: 1', 'first: 100');
    expect((await direct(url, tampered, headers)).status).toBe(403);
    expect((await direct(url, body, { ...headers, 'x-gateway-client': '203.0.113.6' })).status).toBe(403);
    expect((await direct(`${url}?x=1`, body, headers)).status).toBe(403);
    const wrongKey = signGatewayRequest('another secret of at least thirty-two chars', {
      method: 'POST',
      path: '/graphql',
      body,
    });
    expect((await direct(url, body, wrongKey)).status).toBe(403);
  });

  it('refuses a too-deep query sent straight to a subgraph, even when signed', async () => {
    const url = sg.subgraphs.doctor.graphqlUrl;
    // Depth 12 at the gateway, 13 in a subgraph: 8 steps of 2 levels is 19.
    const tooDeep = JSON.stringify({ query: deep(8) });
    const res = await direct(url, tooDeep, signed(url, tooDeep));
    expect(res.status).toBe(400);
    expect(res.body.errors?.[0]?.extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
    const aliases = JSON.stringify({
      query: `{ ${Array.from({ length: 40 }, (_, i) => `a${i}: doctors(first: 1) { totalCount }`).join(' ')} }`,
    });
    expect((await direct(url, aliases, signed(url, aliases))).status).toBe(400);
  });

  it('believes the client address only from the signed gateway header', async () => {
    // auth's per-address bucket: the signed client address counts, a spoofed X-Forwarded-For does not.
    const url = sg.subgraphs.auth.graphqlUrl;
    const codes: unknown[] = [];
    for (let i = 0; i < 4; i++) {
      const body = JSON.stringify({ query: LOGIN, variables: { email: `spoof${i}-${Date.now()}@example.com` } });
      const res = await direct(url, body, {
        ...signed(url, body, { client: '198.51.100.99' }),
        'x-forwarded-for': `192.0.2.${i}`,
      });
      codes.push(res.body.errors?.[0]?.extensions?.code);
    }
    // AUTH_RATE_LIMIT_IP is 100 here: none limited yet, and all four counted in one bucket.
    expect(codes).toEqual(['UNAUTHENTICATED', 'UNAUTHENTICATED', 'UNAUTHENTICATED', 'UNAUTHENTICATED']);
    const keys = await sg.subgraphs.auth.redis.keys(`${sg.redisPrefix}*198.51.100.99*`);
    expect(keys.length).toBeGreaterThan(0);
    expect(await sg.subgraphs.auth.redis.keys(`${sg.redisPrefix}*192.0.2.*`)).toEqual([]);
  });
});

describe('a subgraph without a secret (development) still ignores X-Forwarded-For', () => {
  let auth: TestSubgraph;
  beforeAll(async () => {
    auth = await startTestSubgraph(subgraphs.auth, {
      envFor: { auth: { AUTH_OUTBOX_RELAY: 'false', AUTH_RATE_LIMIT_IP: '2', AUTH_RATE_LIMIT_ACCOUNT: '50' } },
    });
  });
  afterAll(async () => {
    await auth?.stop();
  });

  it('counts a different X-Forwarded-For per request in the socket peer bucket', async () => {
    const codes: unknown[] = [];
    for (let i = 0; i < 4; i++) {
      const body = JSON.stringify({ query: LOGIN, variables: { email: `dev${i}-${Date.now()}@example.com` } });
      const res = await direct(auth.graphqlUrl, body, { 'x-forwarded-for': `192.0.2.${i + 10}` });
      codes.push(res.body.errors?.[0]?.extensions?.code);
    }
    expect(codes).toEqual(['UNAUTHENTICATED', 'UNAUTHENTICATED', 'RATE_LIMITED', 'RATE_LIMITED']);
  });
});
