// npm run bench:auth — login throughput against its CPU bound, and `me` latency while logins saturate.
//   bound = cores ÷ (time of one bcrypt hash at the configured cost), measured in this run:
//           a login is one bcrypt compare, which costs one hash, on libuv's thread pool.
//   (a) login alone: rps, p50/p95 through the gateway, and rps as a share of the bound
//   (b) `me` alone: p50/p95 (baseline)
//   (c) `me` while logins saturate the CPU: p50/p95 — bcrypt runs off the event loop, so cheap
//       requests should stay fast
// auth and the gateway run as child processes on loopback over a fresh bench_auth_login database;
// autocannon runs here. GraphQL errors (HTTP 200) count as errors. Env: BENCH_SECONDS (10), BCRYPT_COST (12), BENCH_LOGIN_CONNECTIONS
// (4 × cores), BENCH_ME_CONNECTIONS (4), BENCH_PORT_BASE (4200), DATABASE_SERVER_URL, REDIS_URL.
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';
import bcrypt from 'bcrypt';
import pg from 'pg';
import { dropDatabase, ensureDatabase, withDatabase } from '@hc/db';
import { composeFromCode, createTestKeys } from '@hc/testing';
import { percentile, postJson, root, startService, table, type LoadResult, type Service } from './harness.js';
import { subgraphs } from '../scripts/subgraphs.ts';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const COST = Number(process.env.BCRYPT_COST ?? 12);
const CORES = os.availableParallelism();
const LOGIN_CONNECTIONS = Number(process.env.BENCH_LOGIN_CONNECTIONS ?? CORES * 4);
const ME_CONNECTIONS = Number(process.env.BENCH_ME_CONNECTIONS ?? 4);
const BASE = Number(process.env.BENCH_PORT_BASE ?? 4200);
const SERVER = process.env.DATABASE_SERVER_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const url = (p: number, suffix = '/graphql') => `http://127.0.0.1:${p}${suffix}`;
const log = (line: string) => process.stdout.write(`${line}\n`);

/** POSTs one GraphQL body for `seconds` (optionally with a bearer token); percentiles from every response. */
async function run(target: string, body: string, connections: number, token?: string): Promise<LoadResult> {
  const latencies: number[] = [];
  const options = {
    url: url(BASE + 10),
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body,
    duration: SECONDS,
    connections,
    // A GraphQL error arrives with HTTP 200: count it as an error, not as throughput.
    verifyBody: (text: string) => !text.includes('"errors"'),
  };
  const instance = autocannon(options);
  instance.on('response', (_c: unknown, _s: number, _b: number, ms: number) => latencies.push(ms));
  const result = await instance;
  latencies.sort((a, b) => a - b);
  return {
    target,
    requests: result.requests.total,
    rps: result.requests.total / SECONDS,
    p50: percentile(latencies, 50),
    p95: percentile(latencies, 95),
    p99: percentile(latencies, 99),
    errors: result.errors + result.timeouts + (result.mismatches ?? 0),
    non2xx: result.non2xx,
    seconds: SECONDS,
  };
}

const services: Service[] = [];
let dbUrl = '';
async function cleanup() {
  await Promise.all(services.reverse().map((s) => s.stop()));
  if (dbUrl) await dropDatabase(dbUrl).catch(() => undefined);
}
process.on('SIGINT', () => void cleanup().then(() => process.exit(130)));

async function main() {
  log(`bench:auth: ${CORES} cores, bcrypt cost ${COST}, ${SECONDS}s per run, Node ${process.version}`);

  // One bcrypt hash, timed here on an idle machine (median of 5).
  const samples: number[] = [];
  for (let i = 0; i < 5; i++) {
    const t = performance.now();
    await bcrypt.hash('bench password 1', COST);
    samples.push(performance.now() - t);
  }
  samples.sort((a, b) => a - b);
  const hashMs = samples[2];
  const bound = CORES / (hashMs / 1000);

  const keys = createTestKeys();
  const prefix = `bench:${randomBytes(4).toString('hex')}`;
  dbUrl = withDatabase(SERVER, 'bench_auth_login'); // not bench_auth: the directory bench drops that one
  await dropDatabase(dbUrl);
  await ensureDatabase(dbUrl);
  const common = {
    NODE_ENV: 'production',
    LOG_LEVEL: 'warn',
    HOST: '127.0.0.1',
    REDIS_URL,
    REDIS_PREFIX: prefix,
    JWT_ISSUER: keys.issuer,
    JWT_AUDIENCE: keys.audience,
    AUTH_JWKS_URL: url(BASE + 1, '/.well-known/jwks.json'),
    // bcrypt runs on libuv's pool: give it one thread per core.
    UV_THREADPOOL_SIZE: String(Math.max(4, CORES)),
  };
  services.push(
    await startService(
      'auth',
      ['--import', './scripts/register.js', 'subgraphs/auth/src/main.ts'],
      {
        ...common,
        JWT_PRIVATE_KEY_FILE: path.join(keys.dir, 'active.pem'),
        KEYS_DIR: keys.dir,
        DATABASE_URL: dbUrl,
        MIGRATE_ON_START: 'true',
        AUTH_PORT: String(BASE + 1),
        BCRYPT_COST: String(COST),
        // The bench measures bcrypt, not the brute-force limits.
        AUTH_RATE_LIMIT_IP: '1000000000',
        AUTH_RATE_LIMIT_ACCOUNT: '1000000000',
        AUTH_OUTBOX_RELAY: 'false',
      },
      url(BASE + 1, '/health'),
      url(BASE + 1),
    ),
  );

  // A verified account, inserted directly (the bench is about login, not registration).
  const email = `bench.${randomUUID().slice(0, 8)}@example.com`;
  const password = 'bench password 1';
  const pool = new pg.Pool({ connectionString: dbUrl });
  await pool.query(
    `insert into users (id, name, email, password_hash, role, is_verified) values ($1, 'Bench', $2, $3, 'PATIENT', true)`,
    [randomUUID(), email, await bcrypt.hash(password, COST)],
  );
  await pool.end();

  // The gateway only needs auth running for these operations; the others are composed in by URL.
  const urls = { auth: url(BASE + 1), doctor: url(BASE + 2), notification: url(BASE + 3), pharmacy: url(BASE + 4) };
  const dir = path.join(root, 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  const supergraphPath = path.join(dir, 'supergraph-auth.graphql');
  writeFileSync(supergraphPath, await composeFromCode(subgraphs, urls));
  services.push(
    await startService(
      'gateway',
      ['--import', './scripts/register.js', 'gateway/src/main.ts'],
      {
        ...common,
        GATEWAY_PORT: String(BASE + 10),
        SUPERGRAPH_PATH: supergraphPath,
        AUTH_URL: urls.auth,
        DOCTOR_URL: urls.doctor,
        NOTIFICATION_URL: urls.notification,
        PHARMACY_URL: urls.pharmacy,
        // One load generator on one address: the gateway's per-address rate limit would measure itself.
        RATE_LIMIT_ENABLED: 'false',
      },
      url(BASE + 10, '/health'),
      url(BASE + 10),
    ),
  );

  const loginBody = JSON.stringify({
    query: `mutation Login($e: String!, $p: String!) { login(email: $e, password: $p) { accessToken } }`,
    variables: { e: email, p: password },
  });
  const first = await postJson(url(BASE + 10), loginBody);
  if (!first.data?.login) throw new Error(`login failed: ${JSON.stringify(first.errors)}`);
  const token = first.data.login.accessToken as string;
  const meBody = JSON.stringify({ query: '{ me { id name email } }' });
  const me = await postJson(url(BASE + 10), meBody).catch(() => null);
  if (!me) throw new Error('me failed');

  const results: LoadResult[] = [];
  results.push(await run(`login alone (${LOGIN_CONNECTIONS} conns)`, loginBody, LOGIN_CONNECTIONS));
  const after = await postJson(url(BASE + 10), loginBody);
  if (after.errors) log(`login after the run answered: ${JSON.stringify(after.errors)}`);
  results.push(await run(`me alone (${ME_CONNECTIONS} conns)`, meBody, ME_CONNECTIONS, token));
  const [loginBusy, meBusy] = await Promise.all([
    run(`login, with me (${LOGIN_CONNECTIONS} conns)`, loginBody, LOGIN_CONNECTIONS),
    run(`me, while logins saturate (${ME_CONNECTIONS} conns)`, meBody, ME_CONNECTIONS, token),
  ]);
  results.push(loginBusy, meBusy);

  log(
    `\nbcrypt cost ${COST}: one hash ${hashMs.toFixed(1)} ms (median of 5) → bound ${bound.toFixed(1)} logins/s on ${CORES} cores`,
  );
  log(table(results));
  log(
    `\nlogin throughput: ${results[0].rps.toFixed(1)}/s = ${((100 * results[0].rps) / bound).toFixed(0)}% of the bound ${bound.toFixed(1)}/s`,
  );
  log(`me p95: ${results[1].p95.toFixed(1)} ms alone, ${meBusy.p95.toFixed(1)} ms while logins saturate`);
  writeFileSync(
    path.join(dir, 'auth-login-latest.json'),
    JSON.stringify({ cores: CORES, cost: COST, hashMs, bound, results, at: new Date().toISOString() }, null, 2),
  );
}

try {
  await main();
} finally {
  await cleanup();
}
