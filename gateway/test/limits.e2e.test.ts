import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Redis } from 'ioredis';
import WebSocket from 'ws';
import { gatewayEnv, loadConfig } from '@hc/config';
import { startSupergraph, TEST_REDIS_URL, type TestSupergraph } from '@hc/testing';
import {
  DIRECTORY,
  extraGateway,
  post,
  seedDoctors,
  totalStatements,
  waitUntil,
  wsConnection,
  type RawResponse,
} from './support.js';
import { supergraph } from '../../scripts/subgraphs.ts';

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** `fragment F<n> on Doctor { ...F<n-1> ×10 }` down to F0 { id }: 10^levels spreads for F<levels>. */
function fragmentPad(levels: number): string {
  const out = ['fragment F0 on Doctor { id }'];
  for (let i = 1; i <= levels; i++)
    out.push(`fragment F${i} on Doctor { ${Array.from({ length: 10 }, () => `...F${i - 1}`).join(' ')} }`);
  return out.join('\n');
}

/** `{ doctors { nodes { user { doctorProfile { user ... } } } } }` nested to `levels` user/doctorProfile pairs. */
function nested(levels: number, leaf = 'id'): string {
  let inner = leaf;
  for (let i = 0; i < levels; i++) inner = `user { name doctorProfile { id specialization ${inner} } }`;
  return inner;
}

describe('query limits before execution', () => {
  let sg: TestSupergraph;
  let url: string;
  beforeAll(async () => {
    sg = await startSupergraph(supergraph);
    url = sg.url;
    await seedDoctors(sg, 5, 'lim');
  });
  afterAll(async () => {
    await sg?.stop();
  });

  /** Sends the attack and proves it was refused with 400 and a code, and that no subgraph ran SQL. */
  async function expectRefused(body: unknown): Promise<RawResponse> {
    const before = totalStatements(sg);
    const res = await post(url, body);
    expect(res.status).toBe(400);
    expect(res.body.data).toBeUndefined();
    expect(typeof res.body.errors?.[0]?.extensions?.code).toBe('string');
    expect(totalStatements(sg)).toBe(before);
    return res;
  }

  it('lets a normal app query through (directory page of 100 with user names)', async () => {
    const res = await post(url, { query: DIRECTORY, variables: { first: 100 } });
    expect(res.status).toBe(200);
    expect(res.body.errors).toBeUndefined();
    expect(res.body.data!.doctors.nodes.length).toBeGreaterThanOrEqual(5);
  });

  it('refuses depth 50', async () => {
    const res = await expectRefused({ query: `{ doctors(first: 1) { nodes { ${nested(24)} } } }` });
    expect(res.body.errors![0].extensions!.code).toBe('GRAPHQL_VALIDATION_FAILED');
    expect(res.body.errors![0].message).toMatch(/depth/i);
  });

  it('refuses 100 aliases', async () => {
    const aliases = Array.from({ length: 100 }, (_, i) => `a${i}: doctors(first: 1) { totalCount }`).join('\n');
    const res = await expectRefused({ query: `{ ${aliases} }` });
    expect(res.body.errors![0].message).toMatch(/alias/i);
  });

  it('refuses too many root fields, also when hidden in fragments', async () => {
    const fields = Array.from({ length: 12 }, () => 'categories { id }').join('\n');
    const res = await expectRefused({
      query: `query Many { ...R ... on Query { ${fields} } }
              fragment R on Query { ${fields} }`,
    });
    expect(res.body.errors![0].extensions!.reason).toBe('TOO_MANY_ROOT_FIELDS');
  });

  it('refuses 20k tokens', async () => {
    const fields = Array.from({ length: 5000 }, () => 'id').join(' ');
    const res = await expectRefused({ query: `{ doctors(first: 1) { nodes { ${fields} } } }` });
    expect(res.body.errors![0].message).toMatch(/token/i);
  });

  it('refuses circular fragments', async () => {
    const res = await expectRefused({
      query: `
        query Loop { doctors(first: 1) { nodes { ...A } } }
        fragment A on Doctor { id user { doctorProfile { ...B } } }
        fragment B on Doctor { id user { doctorProfile { ...A } } }
      `,
    });
    expect(res.body.errors![0].extensions!.code).toBe('GRAPHQL_VALIDATION_FAILED');
  });

  it('refuses a cost bomb (lists weighted by first, from variables too)', async () => {
    const aliases = Array.from({ length: 14 }, (_, i) => `b${i}: doctors(first: $first) { nodes { ${nested(4)} } }`).join('\n');
    const res = await expectRefused({ query: `query Bomb($first: Int) { ${aliases} }`, variables: { first: 100 } });
    expect(res.body.errors![0].message).toMatch(/cost/i);
    // The same shape with small pages is an ordinary query.
    const small = await post(url, { query: `query Bomb($first: Int) { ${aliases} }`, variables: { first: 2 } });
    expect(small.status).toBe(200);
    expect(small.body.errors).toBeUndefined();
  });

  it('fails closed when the cost cannot be computed: a fragment pad that exhausts the estimator does not smuggle a bomb through', async () => {
    const aliases = Array.from({ length: 14 }, (_, i) => `b${i}: doctors(first: 100) { nodes { ${nested(4)} } }`).join('\n');
    const alone = await expectRefused({ query: `{ ${aliases} }` });
    expect(alone.body.errors![0].extensions!.reason).toBe('QUERY_TOO_COSTLY');
    // The review's attack: ten-fold spreads, four levels deep, push the estimator past its node limit.
    const padded = await expectRefused({
      query: `{ ${aliases}\n pad: doctors(first: 1) { nodes { ...F4 } } }\n${fragmentPad(4)}`,
    });
    expect(padded.body.errors![0].extensions).toMatchObject({ code: 'GRAPHQL_VALIDATION_FAILED', reason: 'QUERY_TOO_COMPLEX' });
    // Fragments are fine in an ordinary query, and bad variables still get execution's own answer.
    const normal = await post(url, { query: `{ doctors(first: 2) { nodes { ...F2 } } }\n${fragmentPad(2)}` });
    expect(normal.status).toBe(200);
    expect(normal.body.errors).toBeUndefined();
    const badVariable = await post(url, { query: DIRECTORY, variables: { first: 'many' } });
    expect(badVariable.status).toBe(400);
    expect(badVariable.body.errors![0].extensions!.code).toBe('BAD_USER_INPUT');
  });

  it('counts availableSlots by its window (capped at 14 days) and Doctor.workplaces at its cap', async () => {
    const from = new Date(Date.now() + 24 * 3600_000).toISOString();
    const to = (days: number) => new Date(Date.parse(from) + days * 24 * 3600_000).toISOString();
    const SLOTS = `query S($from: DateTime!, $to: DateTime!, $first: Int) {
      doctors(first: $first) { nodes { availableSlots(from: $from, to: $to) { startsAt endsAt } } }
    }`;
    // A month of 5-minute slots for every doctor of a directory page.
    const month = await expectRefused({ query: SLOTS, variables: { from, to: to(31), first: 20 } });
    expect(month.body.errors![0].extensions!.reason).toBe('QUERY_TOO_COSTLY');
    // One doctor, one day: 288 slots at most per workplace.
    const day = await post(url, { query: SLOTS, variables: { from, to: to(1), first: 1 } });
    expect(day.status).toBe(200);
    expect(day.body.errors).toBeUndefined();
    // workplaces has no `first`: 100 doctors x 10 workplaces x 20 fields = cost 20201.
    const fields = Array.from({ length: 20 }, () => 'id').join(' ');
    const wide = await expectRefused({ query: `{ doctors(first: 100) { nodes { workplaces { ${fields} } } } }` });
    expect(wide.body.errors![0].message).toContain('Query cost 20201');
  });

  it('refuses to store a persisted query over APQ_MAX_BYTES (comments counted), and stores a normal one', async () => {
    const redis = new Redis(TEST_REDIS_URL);
    try {
      const big = `# ${'x'.repeat(20_000)}\n{ doctors(first: 1) { totalCount } }`;
      const hash = sha256(big);
      const res = await post(url, { query: big, extensions: { persistedQuery: { version: 1, sha256Hash: hash } } });
      expect(res.status).toBe(400);
      expect(res.body.errors![0].extensions).toMatchObject({
        code: 'GRAPHQL_VALIDATION_FAILED',
        reason: 'PERSISTED_QUERY_TOO_LARGE',
      });
      await sleep(100);
      expect(await redis.exists(`${sg.redisPrefix}:gw:apq:${hash}`)).toBe(0);

      const small = '{ doctors(first: 1) { totalCount } }';
      const registered = await post(url, {
        query: small,
        extensions: { persistedQuery: { version: 1, sha256Hash: sha256(small) } },
      });
      expect(registered.status).toBe(200);
      await sleep(100); // APQ registers after answering
      const byHash = await post(url, { extensions: { persistedQuery: { version: 1, sha256Hash: sha256(small) } } });
      expect(byHash.body.data?.doctors.totalCount).toBeGreaterThanOrEqual(5);
    } finally {
      redis.disconnect();
    }
  });

  it('keeps APQ and the response cache in CACHE_REDIS_URL, not the job Redis', async () => {
    const cacheDb = TEST_REDIS_URL.replace(/\/\d*$/, '') + '/3';
    const gw = await extraGateway(sg, { CACHE_REDIS_URL: cacheDb, RESPONSE_CACHE: 'true' });
    const jobs = new Redis(TEST_REDIS_URL);
    const cache = new Redis(cacheDb);
    try {
      const q = '{ doctors(first: 2) { totalCount } }';
      await sleep(300); // the cache connection fails fast until it is up: a miss, not an error
      const res = await gw.query({ query: q, extensions: { persistedQuery: { version: 1, sha256Hash: sha256(q) } } });
      expect(res.status).toBe(200);
      const key = `${sg.redisPrefix}:gw:apq:${sha256(q)}`;
      for (let i = 0; i < 50 && !(await cache.exists(key)); i++) await sleep(20);
      expect(await cache.exists(key)).toBe(1);
      expect(await jobs.exists(key)).toBe(0);
      const cached = await cache.keys(`${sg.redisPrefix}:gw:fqc:*`);
      expect(cached.length).toBeGreaterThan(0);
      await cache.del(key, ...cached);
    } finally {
      jobs.disconnect();
      cache.disconnect();
      await gw.stop();
    }
  });

  it('keeps batched HTTP requests off', async () => {
    const res = await post(url, [
      { query: '{ doctors(first: 1) { totalCount } }' },
      { query: '{ doctors(first: 1) { totalCount } }' },
    ]);
    expect(res.status).toBe(400);
  });

  it('requires a CSRF-safe request (no simple GET/form posts without a preflight header)', async () => {
    const res = await fetch(`${url}?query=${encodeURIComponent('{ doctors(first: 1) { totalCount } }')}`);
    expect(res.status).toBe(400);
    const ok = await fetch(`${url}?query=${encodeURIComponent('{ doctors(first: 1) { totalCount } }')}`, {
      headers: { 'apollo-require-preflight': 'true' },
    });
    expect(ok.status).toBe(200);
  });

  it('turns introspection and "Did you mean" suggestions off with NODE_ENV=production', async () => {
    const dev = await post(url, { query: '{ __schema { queryType { name } } }' });
    expect(dev.status).toBe(200);
    const prod = await extraGateway(sg, { NODE_ENV: 'production', CACHE_REDIS_URL: TEST_REDIS_URL });
    try {
      const res = await prod.query({ query: '{ __schema { queryType { name } } }' });
      expect(res.status).toBe(400);
      expect(res.body.errors![0].extensions!.code).toBe('GRAPHQL_VALIDATION_FAILED');
      expect(res.body.errors![0].message).toMatch(/introspection/i);
      const typo = await prod.query({ query: '{ doctorz { totalCount } }' });
      expect(typo.status).toBe(400);
      expect(typo.body.errors![0].message).not.toMatch(/did you mean/i);
      expect(JSON.stringify(typo.body)).not.toContain('doctors');
      const normal = await prod.query({ query: DIRECTORY, variables: { first: 3 } });
      expect(normal.body.errors).toBeUndefined();
    } finally {
      await prod.stop();
    }
  });
  describe('WebSocket subscriptions get the same limits', () => {
    const doctorToken = () => sg.tokenFor({ role: 'DOCTOR' });
    const SUB = 'subscription { appointmentUpdated { type appointment { id } } }';
    const open: { client: { dispose: () => void | Promise<void> } }[] = [];
    afterAll(async () => {
      await Promise.all(open.map((c) => c.client.dispose()));
    });
    const connect = async (httpUrl: string, token: string) => {
      const c = wsConnection(httpUrl, token);
      open.push(c);
      await c.connected;
      return c;
    };
    const refusalOf = async (conn: Awaited<ReturnType<typeof connect>>, query: string) => {
      const sub = conn.subscribe(query);
      await waitUntil(() => sub.state.error !== undefined, 'the refusal');
      return sub.state.error as { message: string; extensions?: Record<string, unknown> }[];
    };

    it('closes the socket (1009) on a 949 KB subscription of 30,000 aliases, which HTTP refuses with 400', async () => {
      const aliases = Array.from({ length: 30_000 }, (_, i) => `a${i}:appointmentUpdated{type}`).join(' ');
      const query = `subscription{${aliases}}`;
      expect(query.length).toBeGreaterThan(900_000);
      const overHttp = await post(url, { query }, { authorization: `Bearer ${doctorToken()}` });
      expect(overHttp.status).toBe(400);
      const conn = await connect(sg.gatewayUrl, doctorToken());
      conn.subscribe(query);
      await waitUntil(() => conn.closeCode() !== undefined, 'the socket to close');
      expect(conn.closeCode()).toBe(1009);
    });

    it('refuses aliases, depth, tokens, directives and cost over the socket as over HTTP; a normal subscription is accepted', async () => {
      const conn = await connect(sg.gatewayUrl, doctorToken());
      const aliases = Array.from({ length: 100 }, (_, i) => `t${i}: type`).join(' ');
      const tooManyAliases = await refusalOf(conn, `subscription { appointmentUpdated { ${aliases} } }`);
      expect(tooManyAliases[0].extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
      expect(tooManyAliases[0].message).toMatch(/alias/i);
      const deep = await refusalOf(conn, `subscription { appointmentUpdated { appointment { doctor { ${nested(8)} } } } }`);
      expect(deep[0].message).toMatch(/depth/i);
      const tokens = await refusalOf(
        conn,
        `subscription { appointmentUpdated { ${Array.from({ length: 4000 }, () => 'type').join(' ')} } }`,
      );
      expect(tokens[0].extensions?.code).toBe('GRAPHQL_PARSE_FAILED');
      const directives = await refusalOf(
        conn,
        `subscription { appointmentUpdated { type ${Array.from({ length: 25 }, () => '@include(if: true)').join(' ')} } }`,
      );
      expect(directives[0].message).toMatch(/directive/i);
      const from = new Date().toISOString();
      const to = new Date(Date.now() + 14 * 24 * 3600_000).toISOString();
      const costly = await refusalOf(
        conn,
        `subscription { appointmentUpdated { appointment { doctor { availableSlots(from: "${from}", to: "${to}") { startsAt endsAt workplaceId } } } } }`,
      );
      expect(costly[0].extensions).toMatchObject({ code: 'GRAPHQL_VALIDATION_FAILED', reason: 'QUERY_TOO_COSTLY' });
      // Refusals answer the operation, not the socket: it stays open and takes a normal subscription.
      const normal = conn.subscribe(SUB);
      await sleep(300);
      expect(normal.state.error).toBeUndefined();
      expect(normal.state.completed).toBe(false);
      expect(conn.closeCode()).toBeUndefined();
    });

    it('caps active subscriptions per socket and per user, frees a slot on unsubscribe, and counts refusals in /metrics', async () => {
      const gw = await extraGateway(sg, { WS_MAX_SUBSCRIPTIONS_PER_SOCKET: '2', WS_MAX_SUBSCRIPTIONS_PER_USER: '3' });
      try {
        const token = doctorToken();
        const a = await connect(gw.url, token);
        const b = await connect(gw.url, token);
        const accepted = async (conn: Awaited<ReturnType<typeof connect>>) => {
          const sub = conn.subscribe(SUB);
          await sleep(200);
          expect(sub.state.error).toBeUndefined();
          return sub;
        };
        const a1 = await accepted(a);
        await accepted(a);
        const perSocket = await refusalOf(a, SUB);
        expect(perSocket[0].extensions).toMatchObject({ code: 'RATE_LIMITED', reason: 'TOO_MANY_SUBSCRIPTIONS' });
        await accepted(b);
        const perUser = await refusalOf(b, SUB);
        expect(perUser[0].message).toMatch(/per user/);
        a1.unsubscribe();
        await sleep(100);
        await accepted(b);
        // Another user is not affected.
        await accepted(await connect(gw.url, doctorToken()));
        const metrics = await (await fetch(`${gw.url}/metrics`)).text();
        expect(metrics).toMatch(
          /gateway_refused_operations_total\{[^}]*transport="ws"[^}]*reason="TOO_MANY_SUBSCRIPTIONS"[^}]*\} 2/,
        );
      } finally {
        await gw.stop();
      }
    });
  });

  describe('client address, proxies and rate limits', () => {
    const statusesOf = async (n: number, send: () => Promise<RawResponse>) => {
      const out: RawResponse[] = [];
      for (let i = 0; i < n; i++) out.push(await send());
      return out;
    };
    const Q = { query: '{ doctors(first: 1) { totalCount } }' };
    const tight = { RATE_LIMIT_IP_PER_SECOND: '1', RATE_LIMIT_IP_BURST: '2', RATE_LIMIT_BURST_WINDOW_SECONDS: '60' };

    it('answers RATE_LIMITED (429, retryAfterSeconds, Retry-After) per address; X-Forwarded-For from an untrusted peer changes nothing', async () => {
      // Own key prefix: spending 127.0.0.1's bucket must not slow the other tests' gateways.
      const gw = await extraGateway(sg, { ...tight, REDIS_PREFIX: `${sg.redisPrefix}:rl` });
      try {
        const before = totalStatements(sg);
        const res = await statusesOf(6, () =>
          gw.query(Q, { 'x-forwarded-for': `198.51.100.${Math.floor(Math.random() * 250)}` }),
        );
        expect(res[0].status).toBe(200);
        const limited = res.find((r) => r.status === 429)!;
        expect(limited).toBeDefined();
        expect(limited.body.data).toBeUndefined();
        expect(limited.body.errors![0].extensions).toMatchObject({ code: 'RATE_LIMITED' });
        const retry = limited.body.errors![0].extensions!.retryAfterSeconds as number;
        expect(retry).toBeGreaterThanOrEqual(1);
        expect(limited.headers.get('retry-after')).toBe(String(retry));
        expect(res.filter((r) => r.status === 200).length).toBeLessThanOrEqual(4);
        // Refused requests reach no subgraph: at most the served ones ran SQL.
        expect(totalStatements(sg) - before).toBeLessThanOrEqual(res.filter((r) => r.status === 200).length * 5);
      } finally {
        await gw.stop();
      }
    });

    it('counts WebSocket connections against the address too: a socket flood is closed with 4429 before its token is checked', async () => {
      // Own key prefix, as above.
      const gw = await extraGateway(sg, { ...tight, REDIS_PREFIX: `${sg.redisPrefix}:ws` });
      try {
        const closeCode = () =>
          new Promise<number | undefined>((resolve) => {
            const ws = new WebSocket(`${gw.url.replace(/^http/, 'ws')}/graphql`, 'graphql-transport-ws');
            ws.on('open', () => ws.send(JSON.stringify({ type: 'connection_init', payload: { authorization: 'Bearer bad' } })));
            ws.on('close', (code) => resolve(code));
          });
        const codes: (number | undefined)[] = [];
        for (let i = 0; i < 6; i++) codes.push(await closeCode());
        expect(codes[0]).toBe(4401); // admitted, then refused for its token
        expect(codes).toContain(4429);
        const metrics = await (await fetch(`${gw.url}/metrics`)).text();
        expect(metrics).toMatch(
          /gateway_refused_operations_total\{[^}]*transport="ws"[^}]*reason="RATE_LIMITED_ADDRESS"[^}]*\} [1-9]/,
        );
      } finally {
        await gw.stop();
      }
    });

    it('behind TRUSTED_PROXIES takes the right-most untrusted hop, buckets IPv6 by /64 and forwards that address to subgraphs', async () => {
      const gw = await extraGateway(sg, { ...tight, TRUSTED_PROXIES: '127.0.0.1/32, 10.0.0.0/8' });
      const redis = new Redis(TEST_REDIS_URL);
      try {
        // "6.6.6.6" was written by the client; 10.1.1.1 is one of our proxies.
        const spent = await statusesOf(6, () => gw.query(Q, { 'x-forwarded-for': '6.6.6.6, 198.51.100.20, 10.1.1.1' }));
        expect(spent.some((r) => r.status === 429)).toBe(true);
        // Another real client behind the same proxies has its own bucket, whatever it puts on the left.
        const other = await statusesOf(3, () => gw.query(Q, { 'x-forwarded-for': '198.51.100.20, 198.51.100.21' }));
        expect(other.map((r) => r.status)).toEqual([200, 200, 200]);
        // IPv6: one /64 is one client.
        const v6 = await statusesOf(6, () => gw.query(Q, { 'x-forwarded-for': '2001:db8:0:7::1' }));
        expect(v6.some((r) => r.status === 429)).toBe(true);
        const sameNet = await statusesOf(2, () => gw.query(Q, { 'x-forwarded-for': '2001:db8:0:7:ffff::9' }));
        expect(sameNet.some((r) => r.status === 429)).toBe(true);
        const nextNet = await statusesOf(3, () => gw.query(Q, { 'x-forwarded-for': '2001:db8:0:8::1' }));
        expect(nextNet.map((r) => r.status)).toEqual([200, 200, 200]);
        // The subgraph sees the resolved address (auth counts login attempts per address).
        await gw.query(
          { query: 'mutation { login(email: "nobody@example.com", password: "wrong-password-1") { accessToken } }' },
          {
            'x-forwarded-for': '203.0.113.77',
          },
        );
        expect(await redis.keys(`${sg.redisPrefix}:auth:rl:ip*203.0.113.77`)).toHaveLength(1);
      } finally {
        redis.disconnect();
        await gw.stop();
      }
    });

    it('limits each signed-in user on their own bucket', async () => {
      const gw = await extraGateway(sg, {
        RATE_LIMIT_USER_PER_SECOND: '1',
        RATE_LIMIT_USER_BURST: '2',
        RATE_LIMIT_BURST_WINDOW_SECONDS: '60',
      });
      try {
        const alice = sg.tokenFor({ role: 'PATIENT' });
        const bob = sg.tokenFor({ role: 'PATIENT' });
        const hers = await statusesOf(6, () => gw.query(Q, { authorization: `Bearer ${alice}` }));
        expect(hers[0].status).toBe(200);
        const limited = hers.find((r) => r.status === 429);
        expect(limited?.body.errors![0].extensions!.code).toBe('RATE_LIMITED');
        const his = await statusesOf(3, () => gw.query(Q, { authorization: `Bearer ${bob}` }));
        expect(his.map((r) => r.status)).toEqual([200, 200, 200]);
      } finally {
        await gw.stop();
      }
    });
  });

  describe('surface: CORS, metrics and readiness detail', () => {
    it('applies CORS_ORIGINS (exact origins only) and refuses `*` in production', async () => {
      const gw = await extraGateway(sg, { CORS_ORIGINS: 'https://app.example.com' });
      try {
        const preflight = (origin: string) =>
          fetch(`${gw.url}/graphql`, {
            method: 'OPTIONS',
            headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' },
          });
        const ok = await preflight('https://app.example.com');
        expect(ok.headers.get('access-control-allow-origin')).toBe('https://app.example.com');
        expect(ok.headers.get('access-control-allow-credentials')).toBeNull();
        const evil = await preflight('https://evil.example.com');
        expect(evil.headers.get('access-control-allow-origin')).toBeNull();
        const res = await gw.query({ query: '{ doctors(first: 1) { totalCount } }' }, { origin: 'https://app.example.com' });
        expect(res.headers.get('access-control-allow-origin')).toBe('https://app.example.com');
        expect(res.body.errors).toBeUndefined();
      } finally {
        await gw.stop();
      }
      expect(() =>
        loadConfig(gatewayEnv, { NODE_ENV: 'production', CACHE_REDIS_URL: TEST_REDIS_URL, CORS_ORIGINS: '*' }),
      ).toThrow(/CORS_ORIGINS/);
    });

    it('serves /metrics and the detailed /ready only with METRICS_TOKEN, or only on METRICS_PORT', async () => {
      const token = 'metrics-token-0123456789';
      const withToken = await extraGateway(sg, { METRICS_TOKEN: token });
      try {
        expect((await fetch(`${withToken.url}/metrics`)).status).toBe(404);
        expect(
          (await fetch(`${withToken.url}/metrics`, { headers: { authorization: 'Bearer wrong-token-0123456789' } })).status,
        ).toBe(404);
        const metrics = await fetch(`${withToken.url}/metrics`, { headers: { authorization: `Bearer ${token}` } });
        expect(metrics.status).toBe(200);
        expect(await metrics.text()).toContain('graphql_requests_total');
        const anonReady = (await (await fetch(`${withToken.url}/ready`)).json()) as Record<string, unknown>;
        expect(anonReady).toEqual({ status: 'ready' });
        const detail = (await (
          await fetch(`${withToken.url}/ready`, { headers: { authorization: `Bearer ${token}` } })
        ).json()) as {
          checks: Record<string, string>;
        };
        expect(Object.keys(detail.checks).sort()).toEqual(['auth', 'doctor', 'notification', 'pharmacy', 'redis', 'revocations']);
        expect((await fetch(`${withToken.url}/health`)).status).toBe(200);
      } finally {
        await withToken.stop();
      }
      const separate = await extraGateway(sg, { METRICS_PORT: '0' });
      try {
        expect(separate.opsPort).toBeGreaterThan(0);
        expect((await fetch(`${separate.url}/metrics`)).status).toBe(404);
        expect(await (await fetch(`${separate.url}/ready`)).json()).toEqual({ status: 'ready' });
        expect((await fetch(`http://127.0.0.1:${separate.opsPort}/metrics`)).status).toBe(200);
        const detail = (await (await fetch(`http://127.0.0.1:${separate.opsPort}/ready`)).json()) as { checks: object };
        expect(Object.keys(detail.checks)).toHaveLength(6);
      } finally {
        await separate.stop();
      }
    });
  });
});
