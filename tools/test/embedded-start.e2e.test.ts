// `npm start` on a machine without PostgreSQL: the real launcher (scripts/start.ts) in a child
// process, forced onto the embedded path (EMBEDDED_DB=true) so the PostgreSQL on 5432 is never
// touched, every port free and every file under a temporary directory.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import pg from 'pg';
import { pingRedis } from '@hc/service';
import { migrations as authMigrations } from '@hc/auth-subgraph/migrations';
import { migrations as doctorMigrations } from '@hc/doctor-subgraph/migrations';
import { migrations as notificationMigrations } from '@hc/notification-subgraph/migrations';
import { migrations as pharmacyMigrations } from '@hc/pharmacy-subgraph/migrations';
import { findRedisServer } from '../../scripts/embedded/redis.ts';
import { freePort, runtimeFile, type RuntimeState } from '../../scripts/embedded/runtime.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const work = mkdtempSync(path.join(tmpdir(), 'hc-embedded-'));
const dataDir = path.join(work, 'data');
const privateRedis = findRedisServer() !== null;
const MIGRATIONS = {
  auth: authMigrations,
  doctor: doctorMigrations,
  notification: notificationMigrations,
  pharmacy: pharmacyMigrations,
};

/** POSTs one operation to the gateway (no @hc/testing: it would load every subgraph into this process). */
async function gql<T>(url: string, query: string): Promise<{ data?: T; errors?: { message: string }[] }> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query }),
  });
  return (await res.json()) as { data?: T; errors?: { message: string }[] };
}

interface Launched {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

async function launch(env: Record<string, string>): Promise<Launched> {
  const base = { ...process.env };
  for (const k of Object.keys(base)) if (/DATABASE_URL$|^REDIS_URL$|^EMBEDDED_/.test(k)) delete base[k];
  const child = spawn(process.execPath, ['--import', './scripts/register.js', 'scripts/start.ts'], {
    cwd: root,
    env: { ...base, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (out += c.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  let done = false;
  exited.then(() => (done = true));
  const deadline = Date.now() + 150_000;
  while (!done && Date.now() < deadline && !out.includes('Healthcare supergraph is up.')) {
    await new Promise((r) => setTimeout(r, 200));
  }
  const up = out.includes('Healthcare supergraph is up.') && !done;
  if (!up) {
    child.kill('SIGKILL');
    throw new Error(`npm start did not come up:\n${out.slice(-4000)}`);
  }
  return { child, output: () => out, exited };
}

async function stop(l: Launched): Promise<number | null> {
  l.child.kill('SIGINT');
  return l.exited;
}

const readRuntime = () => JSON.parse(readFileSync(runtimeFile(dataDir), 'utf8')) as RuntimeState;

async function sql<T = Record<string, unknown>>(url: string, text: string, values: unknown[] = []): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(text, values)).rows as T[];
  } finally {
    await client.end();
  }
}

describe('npm start with the embedded database (PGlite)', () => {
  let env: Record<string, string>;
  let gatewayUrl: string;
  let running: Launched | null = null;
  const category = `Embedded ${randomUUID().slice(0, 8)}`;

  beforeAll(async () => {
    const [g, a, d, n, p] = await Promise.all([freePort(), freePort(), freePort(), freePort(), freePort()]);
    gatewayUrl = `http://127.0.0.1:${g}`;
    env = {
      EMBEDDED_DB: 'true',
      EMBEDDED_DB_PORT: '0',
      DATA_DIR: dataDir,
      // Without redis-server on PATH the shared test Redis is used, under a prefix of its own.
      ...(privateRedis
        ? { EMBEDDED_REDIS: 'true' }
        : { REDIS_URL: process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379', EMBEDDED_REDIS: 'false' }),
      REDIS_PREFIX: `test:embedded:${randomUUID().slice(0, 8)}`,
      KEYS_DIR: path.join(work, 'keys'),
      MAIL_CAPTURE_DIR: path.join(work, 'mail'),
      DOCUMENTS_DIR: path.join(work, 'documents'),
      LOG_LEVEL: 'warn',
      GATEWAY_PORT: String(g),
      AUTH_PORT: String(a),
      DOCTOR_PORT: String(d),
      NOTIFICATION_PORT: String(n),
      PHARMACY_PORT: String(p),
      AUTH_URL: `http://127.0.0.1:${a}/graphql`,
      DOCTOR_URL: `http://127.0.0.1:${d}/graphql`,
      NOTIFICATION_URL: `http://127.0.0.1:${n}/graphql`,
      PHARMACY_URL: `http://127.0.0.1:${p}/graphql`,
      AUTH_JWKS_URL: `http://127.0.0.1:${a}/.well-known/jwks.json`,
    };
    running = await launch(env);
  });

  afterAll(async () => {
    if (running && running.child.exitCode === null) await stop(running);
    rmSync(work, { recursive: true, force: true });
  });

  it('serves each subgraph its own PGlite database with every migration applied', async () => {
    const state = readRuntime();
    expect(state.pid).toBe(running!.child.pid);
    expect(Object.keys(state.databases).sort()).toEqual(['auth', 'doctor', 'notification', 'pharmacy']);
    const ports = new Set(Object.values(state.databases).map((u) => new URL(u).port));
    expect(ports.size).toBe(4);
    expect(ports.has('5432')).toBe(false);
    for (const [name, list] of Object.entries(MIGRATIONS)) {
      const applied = await sql<{ name: string }>(state.databases[name], 'select name from mikro_orm_migrations order by id');
      expect(applied.map((r) => r.name)).toEqual(list.map((m) => m.name));
    }
    expect(running!.output()).toContain('embedded PGlite');
  });

  it('has the contrib extensions the migrations need (btree_gist, pg_trgm)', async () => {
    const url = readRuntime().databases.doctor;
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      await client.query('begin');
      await client.query('create extension if not exists btree_gist');
      await client.query('create extension if not exists pg_trgm');
      // The doctor subgraph's kind of constraint: no two overlapping ranges for one key.
      await client.query(
        'create temp table slots (k uuid, r tstzrange, exclude using gist (k with =, r with &&)) on commit drop',
      );
      const { rows } = await client.query(`select similarity('paracetamol', 'paracetmol') > 0.5 as close`);
      expect(rows[0].close).toBe(true);
      await client.query('rollback');
    } finally {
      await client.end();
    }
  });

  it('is ready and answers a federated query through the gateway', async () => {
    const ready = await fetch(`${gatewayUrl}/ready`);
    expect(ready.status).toBe(200);
    await sql(readRuntime().databases.pharmacy, 'insert into categories (id, name) values ($1, $2)', [randomUUID(), category]);
    const res = await gql<{ doctors: { totalCount: number }; categories: { name: string }[] }>(
      `${gatewayUrl}/graphql`,
      `query { doctors(first: 5) { totalCount } categories { name } }`,
    );
    expect(res.errors).toBeUndefined();
    expect(res.data!.doctors.totalCount).toBe(0);
    expect(res.data!.categories.map((c) => c.name)).toContain(category);
  });

  it('stops everything on Ctrl-C and keeps the data for the next start', async () => {
    const redisUrl = readRuntime().redisUrl;
    expect(await stop(running!)).toBe(0);
    expect(existsSync(runtimeFile(dataDir))).toBe(false);
    if (privateRedis) {
      expect(redisUrl).toMatch(/^redis:\/\/127\.0\.0\.1:\d+$/);
      await expect(pingRedis(redisUrl!)).rejects.toThrow(/not reachable/);
    }

    running = await launch(env);
    const res = await gql<{ categories: { name: string }[] }>(`${gatewayUrl}/graphql`, `query { categories { name } }`);
    expect(res.errors).toBeUndefined();
    expect(res.data!.categories.map((c) => c.name)).toContain(category);
  });

  it('refuses a second start on the same data directory', async () => {
    const second = spawn(process.execPath, ['--import', './scripts/register.js', 'scripts/start.ts'], {
      cwd: root,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let err = '';
    second.stderr!.on('data', (c: Buffer) => (err += c.toString()));
    const code = await new Promise<number | null>((r) => second.once('exit', r));
    expect(code).toBe(1);
    expect(err).toContain(`Another \`npm start\` (pid ${running!.child.pid}) is using`);
  });
});
