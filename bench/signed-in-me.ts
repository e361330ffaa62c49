// npm run bench:me — a signed-in `me` query through the gateway: requests/s and p95. Every
// signed-in request passes the token verifier at the gateway and again in auth, so this shows the
// cost of the revocation check on the request path.
// auth and the gateway run as child processes on loopback over a fresh bench_me database;
// autocannon runs here. GraphQL errors (HTTP 200) count as errors. Env: BENCH_SECONDS (10),
// BENCH_CONNECTIONS (10), BENCH_PORT_BASE (4700), DATABASE_SERVER_URL, REDIS_URL.
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import autocannon from 'autocannon';
import bcrypt from 'bcrypt';
import pg from 'pg';
import { dropDatabase, ensureDatabase, withDatabase } from '@hc/db';
import { composeFromCode, createTestKeys } from '@hc/testing';
import { percentile, postJson, root, startService, table, type Service } from './harness.js';
import { subgraphs } from '../scripts/subgraphs.ts';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 10);
const BASE = Number(process.env.BENCH_PORT_BASE ?? 4700);
const SERVER = process.env.DATABASE_SERVER_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const url = (p: number, suffix = '/graphql') => `http://127.0.0.1:${p}${suffix}`;
const log = (line: string) => process.stdout.write(`${line}\n`);

const services: Service[] = [];
let dbUrl = '';
async function cleanup() {
  await Promise.all(services.reverse().map((s) => s.stop()));
  if (dbUrl) await dropDatabase(dbUrl).catch(() => undefined);
}
process.on('SIGINT', () => void cleanup().then(() => process.exit(130)));

async function main() {
  const keys = createTestKeys();
  const prefix = `bench:${randomBytes(4).toString('hex')}`;
  dbUrl = withDatabase(SERVER, 'bench_me');
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
    INTERNAL_SECRET: randomBytes(24).toString('hex'),
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
        BCRYPT_COST: '10',
        AUTH_OUTBOX_RELAY: 'false',
      },
      url(BASE + 1, '/health'),
      url(BASE + 1),
    ),
  );
  const email = `bench.${randomUUID().slice(0, 8)}@example.com`;
  const password = 'bench password 1';
  const pool = new pg.Pool({ connectionString: dbUrl });
  await pool.query(
    `insert into users (id, name, email, password_hash, role, is_verified) values ($1, 'Bench', $2, $3, 'PATIENT', true)`,
    [randomUUID(), email, await bcrypt.hash(password, 10)],
  );
  await pool.end();

  const urls = { auth: url(BASE + 1), doctor: url(BASE + 2), notification: url(BASE + 3), pharmacy: url(BASE + 4) };
  const dir = path.join(root, 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  const supergraphPath = path.join(dir, 'supergraph-me.graphql');
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
        RATE_LIMIT_ENABLED: 'false',
        RESPONSE_CACHE: 'false',
        CACHE_REDIS_URL: REDIS_URL,
      },
      url(BASE + 10, '/health'),
      url(BASE + 10),
    ),
  );

  const login = await postJson(
    url(BASE + 10),
    JSON.stringify({
      query: `mutation Login($e: String!, $p: String!) { login(email: $e, password: $p) { accessToken } }`,
      variables: { e: email, p: password },
    }),
  );
  if (!login.data?.login) throw new Error(`login failed: ${JSON.stringify(login.errors)}`);
  const token = login.data.login.accessToken as string;
  const body = JSON.stringify({ query: '{ me { id name email } }' });
  const latencies: number[] = [];
  const options = {
    url: url(BASE + 10),
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body,
    duration: SECONDS,
    connections: CONNECTIONS,
    // A GraphQL error arrives with HTTP 200: count it as an error, not as throughput.
    verifyBody: (text: string) => !text.includes('"errors"'),
  };
  const instance = autocannon(options);
  instance.on('response', (_c: unknown, _s: number, _b: number, ms: number) => latencies.push(ms));
  const result = await instance;
  latencies.sort((a, b) => a - b);
  const row = {
    target: `signed-in me (${CONNECTIONS} conns)`,
    requests: result.requests.total,
    rps: result.requests.total / SECONDS,
    p50: percentile(latencies, 50),
    p95: percentile(latencies, 95),
    p99: percentile(latencies, 99),
    errors: result.errors + result.timeouts + (result.mismatches ?? 0),
    non2xx: result.non2xx,
    seconds: SECONDS,
  };
  log(table([row]));
  writeFileSync(path.join(dir, 'signed-in-me-latest.json'), JSON.stringify({ ...row, at: new Date().toISOString() }, null, 2));
}

try {
  await main();
} finally {
  await cleanup();
}
