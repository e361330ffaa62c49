// Starts the whole system: validates every service's config, finds PostgreSQL and Redis (or
// starts embedded ones, see scripts/embedded/), starts the four subgraphs (each creates and
// migrates its database) and the gateway, prints the URLs, and stops everything on Ctrl-C.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigError, loadConfig, redactRedisTarget, serviceSchemas } from '@hc/config';
import { describeDbError, withDatabase } from '@hc/db';
import { launcherEnv, type LauncherConfig } from './embedded/config.ts';
import { chooseDatabase, chooseRedis } from './embedded/decide.ts';
import { startEmbeddedPostgres, type EmbeddedPostgres } from './embedded/postgres.ts';
import { findRedisServer, startPrivateRedis, type PrivateRedis } from './embedded/redis.ts';
import { clearRuntime, readRuntime, writeRuntime } from './embedded/runtime.ts';
import { NODE_FLAGS } from './node-flags.ts';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const env = { ...process.env };
// Subgraphs answer only requests the gateway signed; outside production a run without a configured
// key gets a fresh one, shared by every process it starts (production must set its own).
if (!env.SUBGRAPH_SHARED_SECRET && env.NODE_ENV !== 'production') env.SUBGRAPH_SHARED_SECRET = randomBytes(32).toString('hex');
const DEFAULT_SERVER = 'postgres://postgres@127.0.0.1:5432/postgres';
const DEFAULT_REDIS = 'redis://127.0.0.1:6379';
const serverUrl = env.DATABASE_URL || DEFAULT_SERVER;

const services = ['auth', 'doctor', 'notification', 'pharmacy'] as const;
type Service = (typeof services)[number];

// Embedded infrastructure, stopped after the services on every exit path.
let embeddedDb: EmbeddedPostgres | null = null;
let privateRedis: PrivateRedis | null = null;
let launcher: LauncherConfig;
let dataDir = '';

async function stopInfrastructure() {
  const db = embeddedDb;
  const redis = privateRedis;
  embeddedDb = null;
  privateRedis = null;
  await db?.stop().catch((error) => process.stderr.write(`embedded database did not close cleanly: ${error}\n`));
  await redis?.stop();
  if (db || redis) clearRuntime(dataDir);
}

async function fail(message: string): Promise<never> {
  process.stderr.write(`\n✗ ${message}\n\n`);
  await stopInfrastructure();
  process.exit(1);
}

/** Each subgraph's own database (override one with e.g. AUTH_DATABASE_URL); Redis for everyone. */
const dbUrls: Partial<Record<Service, string>> = {};
let redisUrl = env.REDIS_URL || DEFAULT_REDIS;
const serviceEnv = (name: Service | 'gateway') => {
  if (name === 'gateway') return { ...env, REDIS_URL: redisUrl };
  const url = env[`${name.toUpperCase()}_DATABASE_URL`] || dbUrls[name] || withDatabase(serverUrl, `${name}_service`);
  return { ...env, DATABASE_URL: url, REDIS_URL: redisUrl };
};

// 1. Configuration: the launcher's and every service's variables, before anything starts.
const configs: Record<string, { HOST: string } & Record<string, unknown>> = {};
try {
  launcher = loadConfig(launcherEnv, env);
  dataDir = path.resolve(root, launcher.DATA_DIR);
  for (const name of [...services, 'gateway'] as const) configs[name] = loadConfig(serviceSchemas[name], serviceEnv(name));
} catch (error) {
  if (error instanceof ConfigError) await fail(error.message);
  throw error;
}

// Ctrl-C at any point from here stops whatever has started (services first, then databases and Redis).
const children: ChildProcess[] = [];
let stopping = false;
const stopAll = (code: number) => {
  if (stopping) return;
  stopping = true;
  for (const t of restartTimers) clearTimeout(t);
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGTERM');
  const deadline = setTimeout(() => void stopInfrastructure().finally(() => process.exit(code)), 15_000);
  void Promise.all(
    children.map((c) => (c.exitCode !== null || c.signalCode !== null ? null : new Promise((r) => c.once('exit', r)))),
  ).then(async () => {
    clearTimeout(deadline);
    // The databases and Redis go last: the services close their pools and workers against them.
    await stopInfrastructure();
    process.exit(code);
  });
};
process.on('SIGINT', () => stopAll(0));
process.on('SIGTERM', () => stopAll(0));

// 2. PostgreSQL: the configured or local server, else embedded PGlite (a machine with only Node).
//    Redis: REDIS_URL or the local default, else a private redis-server when one is installed.
const needsServer = services.filter((s) => !env[`${s.toUpperCase()}_DATABASE_URL`]);
const dbChoice = await chooseDatabase({
  mode: launcher.EMBEDDED_DB,
  databaseUrl: env.DATABASE_URL || undefined,
  serverUrl,
  needed: needsServer.length > 0,
});
if (dbChoice.kind === 'error') {
  await fail(`${describeDbError(dbChoice.error, serverUrl)}\n  With Docker: docker compose up -d postgres redis`);
}
const redisServer = findRedisServer();
// With REDIS_SENTINELS the services reach Redis through Sentinel: check that way, never start one.
const redisChoice = await chooseRedis({
  mode: launcher.EMBEDDED_REDIS,
  redisUrl: env.REDIS_URL || env.REDIS_SENTINELS || undefined,
  url: String(configs.gateway.REDIS_URL),
  redisServerInstalled: redisServer !== null,
});
if (redisChoice.kind === 'error') {
  const hint = redisChoice.canStart
    ? '\n  No redis-server on PATH to start a private one: install Redis (e.g. `apt install redis-server`, `brew install redis`),\n  run `docker compose up -d redis`, or set REDIS_URL.'
    : '\n  With Docker: docker compose up -d redis';
  await fail(`${redisChoice.error.message}${hint}`);
}

const running = readRuntime(dataDir);
if (running && (dbChoice.kind === 'embedded' || redisChoice.kind === 'private')) {
  await fail(`Another \`npm start\` (pid ${running.pid}) is using ${dataDir}. Stop it first (Ctrl-C in its terminal).`);
}

if (dbChoice.kind === 'embedded') {
  process.stdout.write(`No PostgreSQL in use: starting embedded PGlite databases under ${path.join(dataDir, 'pglite')} ...\n`);
  try {
    embeddedDb = await startEmbeddedPostgres({
      names: needsServer,
      dataDir: path.join(dataDir, 'pglite'),
      basePort: launcher.EMBEDDED_DB_PORT,
      idleInTransactionMs: 15_000,
      onStuck: ({ database, waiting }) =>
        process.stderr.write(
          `embedded ${database} database: a connection sat idle in a transaction for 15 s while ${waiting} statement(s) waited;\n` +
            '  it was dropped and its transaction rolled back. PGlite has one backend: code that holds a transaction open while\n' +
            '  it waits for a query on another connection cannot finish here (and is not atomic on PostgreSQL either).\n',
        ),
    });
  } catch (error) {
    await fail(`Embedded PostgreSQL (PGlite) did not start: ${(error as Error).message}`);
  }
  for (const s of needsServer) dbUrls[s] = embeddedDb!.databases[s].url;
}
if (redisChoice.kind === 'private') {
  try {
    privateRedis = await startPrivateRedis({ dir: path.join(dataDir, 'redis'), executable: redisServer! });
  } catch (error) {
    await fail(`Private redis-server did not start: ${(error as Error).message}`);
  }
  redisUrl = privateRedis!.url;
}

if (embeddedDb || privateRedis) {
  writeRuntime(dataDir, {
    pid: process.pid,
    startedAt: new Date().toISOString(),
    databases: Object.fromEntries(Object.entries(embeddedDb?.databases ?? {}).map(([n, d]) => [n, d.url])),
    ...(privateRedis ? { redisUrl: privateRedis.url } : {}),
  });
}

// 3. Start subgraphs, then the gateway.

function prefixLines(name: string, stream: NodeJS.ReadableStream, out: NodeJS.WritableStream) {
  let buf = '';
  stream.on('data', (chunk: Buffer) => {
    buf += chunk.toString();
    const lines = buf.split('\n');
    buf = lines.pop() ?? '';
    for (const line of lines) out.write(`${name.padEnd(12)} | ${line}\n`);
  });
}

/**
 * Supervision: a service that crashes after it was ready is restarted with backoff (1 s, 2 s,
 * 4 s … 30 s) instead of taking the others down. One that never became ready (bad config, a
 * port in use), or that crashed RESTART_LIMIT times within a minute, stops the run: restarting
 * would only repeat the error.
 */
const RESTART_LIMIT = 5;
const RESTART_WINDOW_MS = 60_000;
const BACKOFF_MAX_MS = 30_000;
const restartTimers = new Set<NodeJS.Timeout>();

async function waitHealthy(child: ChildProcess, healthUrl: string, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null || stopping) return false;
    try {
      const res = await fetch(healthUrl, { signal: AbortSignal.timeout(1_000) });
      if (res.ok) return true;
    } catch {
      /* not up yet */
    }
    await new Promise((r) => setTimeout(r, 300));
  }
  return false;
}

async function start(name: Service | 'gateway', entry: string, healthUrl: string) {
  const crashes: number[] = [];
  let everReady = false;

  const spawnService = (): ChildProcess => {
    const child = spawn(process.execPath, [...NODE_FLAGS, '--import', './scripts/register.js', entry], {
      cwd: root,
      env: serviceEnv(name),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.push(child);
    prefixLines(name, child.stdout!, process.stdout);
    prefixLines(name, child.stderr!, process.stderr);
    child.on('exit', (code, signal) => {
      if (stopping) return;
      const how = signal ? `signal ${signal}` : `code ${code}`;
      if (!everReady) {
        process.stderr.write(`\n✗ ${name} exited (${how}) before it was ready; stopping everything.\n`);
        stopAll(1);
        return;
      }
      const now = Date.now();
      crashes.push(now);
      while (crashes.length && crashes[0]! < now - RESTART_WINDOW_MS) crashes.shift();
      if (crashes.length >= RESTART_LIMIT) {
        process.stderr.write(`\n✗ ${name} exited (${how}), ${crashes.length} times within a minute; stopping everything.\n`);
        stopAll(1);
        return;
      }
      const delay = Math.min(1_000 * 2 ** (crashes.length - 1), BACKOFF_MAX_MS);
      process.stderr.write(`\n✗ ${name} exited (${how}), restarting in ${delay / 1000} s\n`);
      const timer = setTimeout(() => {
        restartTimers.delete(timer);
        if (stopping) return;
        const next = spawnService();
        void waitHealthy(next, healthUrl, 90_000).then((ok) => {
          if (ok) process.stdout.write(`✓ ${name} is back\n`);
        });
      }, delay);
      restartTimers.add(timer);
    });
    return child;
  };

  // Once something failed, start nothing more: a process spawned now would outlive the launcher.
  if (stopping) return;
  const child = spawnService();
  if (await waitHealthy(child, healthUrl, 90_000)) {
    everReady = true;
    return;
  }
  if (stopping || child.exitCode !== null || child.signalCode !== null) return;
  process.stderr.write(`\n✗ ${name} did not become healthy at ${healthUrl} within 90 s; stopping everything.\n`);
  stopAll(1);
}

const hostOf = (h: string) => (h === '0.0.0.0' || h === '::' ? '127.0.0.1' : h);
const port = (name: string) => configs[name][`${name.toUpperCase()}_PORT`] as number;
for (const name of services) {
  await start(name, `subgraphs/${name}/src/main.ts`, `http://${hostOf(configs[name].HOST)}:${port(name)}/health`);
}
await start('gateway', 'gateway/src/main.ts', `http://${hostOf(configs.gateway.HOST)}:${port('gateway')}/health`);

if (!stopping) {
  const g = `http://${hostOf(configs.gateway.HOST)}:${port('gateway')}`;
  const pgliteDir = path.join(dataDir, 'pglite');
  const shown = pgliteDir.startsWith(root + path.sep) ? path.relative(root, pgliteDir) : pgliteDir;
  const dbLine = embeddedDb
    ? `embedded PGlite, data in ${shown}/ (${Object.values(embeddedDb.databases)
        .map((d) => `${d.name} :${d.port}`)
        .join(', ')})`
    : 'PostgreSQL server';
  process.stdout.write(`
  Healthcare supergraph is up.
    GraphQL endpoint   ${g}/graphql
    Apollo Sandbox     ${g}/            (development only)
    Health / ready     ${g}/health  ${g}/ready
    Subgraphs          ${services.map((s) => `${s} :${port(s)}`).join(', ')}
    Databases          ${dbLine}
    Redis              ${privateRedis ? `private redis-server at ${privateRedis.url} (no persistence)` : redactRedisTarget(env.REDIS_SENTINELS ? String(configs.gateway.REDIS_URL) : redisUrl)}
  Press Ctrl-C to stop.
`);
}
