// Starts the whole system: checks PostgreSQL and Redis, validates every service's config,
// starts the four subgraphs (each creates and migrates its database) and the gateway,
// prints the URLs, and stops everything on Ctrl-C.
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { ConfigError, loadConfig, serviceSchemas } from '@hc/config';
import { describeDbError, withDatabase } from '@hc/db';
import { pingRedis } from '@hc/service';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const env = { ...process.env };
const serverUrl = env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const redisUrl = env.REDIS_URL ?? 'redis://127.0.0.1:6379';

const fail = (message: string): never => {
  process.stderr.write(`\n✗ ${message}\n\n`);
  process.exit(1);
};

const services = ['auth', 'doctor', 'notification', 'pharmacy'] as const;
/** Each subgraph's own database on the configured server (override one with e.g. AUTH_DATABASE_URL). */
const serviceEnv = (name: (typeof services)[number] | 'gateway') => {
  if (name === 'gateway') return env;
  const url = env[`${name.toUpperCase()}_DATABASE_URL`] ?? withDatabase(serverUrl, `${name}_service`);
  return { ...env, DATABASE_URL: url };
};

// 1. Configuration: every service's variables, before anything starts.
const configs: Record<string, { HOST: string } & Record<string, unknown>> = {};
try {
  for (const name of [...services, 'gateway'] as const) configs[name] = loadConfig(serviceSchemas[name], serviceEnv(name));
} catch (error) {
  if (error instanceof ConfigError) fail(error.message);
  throw error;
}

// 2. PostgreSQL and Redis reachable.
try {
  const client = new pg.Client({ connectionString: serverUrl, connectionTimeoutMillis: 5_000 });
  await client.connect();
  await client.end();
} catch (error) {
  fail(`${describeDbError(error, serverUrl)}\n  With Docker: docker compose up -d postgres redis`);
}
try {
  await pingRedis(redisUrl);
} catch (error) {
  fail(`${(error as Error).message}\n  With Docker: docker compose up -d postgres redis`);
}

// 3. Start subgraphs, then the gateway.
const children: ChildProcess[] = [];
let stopping = false;
const stopAll = (code: number) => {
  if (stopping) return;
  stopping = true;
  for (const c of children) if (c.exitCode === null) c.kill('SIGTERM');
  const deadline = setTimeout(() => process.exit(code), 10_000);
  void Promise.all(children.map((c) => (c.exitCode !== null ? null : new Promise((r) => c.once('exit', r))))).then(() => {
    clearTimeout(deadline);
    process.exit(code);
  });
};
process.on('SIGINT', () => stopAll(0));
process.on('SIGTERM', () => stopAll(0));

function prefixLines(name: string, stream: NodeJS.ReadableStream, out: NodeJS.WritableStream) {
  let buf = '';
  stream.on('data', (chunk: Buffer) => {
    buf += chunk.toString();
    const lines = buf.split('\n');
    buf = lines.pop() ?? '';
    for (const line of lines) out.write(`${name.padEnd(12)} | ${line}\n`);
  });
}

async function start(name: (typeof services)[number] | 'gateway', entry: string, healthUrl: string) {
  const child = spawn(process.execPath, ['--import', './scripts/register.js', entry], {
    cwd: root,
    env: serviceEnv(name),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  prefixLines(name, child.stdout!, process.stdout);
  prefixLines(name, child.stderr!, process.stderr);
  child.on('exit', (code) => {
    if (!stopping) {
      process.stderr.write(`\n✗ ${name} exited (code ${code}); stopping everything.\n`);
      stopAll(1);
    }
  });
  const deadline = Date.now() + 90_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) return;
    try {
      const res = await fetch(healthUrl, { signal: AbortSignal.timeout(1_000) });
      if (res.ok) return;
    } catch {
      /* not up yet */
    }
    await new Promise((r) => setTimeout(r, 300));
  }
  fail(`${name} did not become healthy at ${healthUrl} within 90 s`);
}

const hostOf = (h: string) => (h === '0.0.0.0' || h === '::' ? '127.0.0.1' : h);
const port = (name: string) => configs[name][`${name.toUpperCase()}_PORT`] as number;
for (const name of services) {
  await start(name, `subgraphs/${name}/src/main.ts`, `http://${hostOf(configs[name].HOST)}:${port(name)}/health`);
}
await start('gateway', 'gateway/src/main.ts', `http://${hostOf(configs.gateway.HOST)}:${port('gateway')}/health`);

const g = `http://${hostOf(configs.gateway.HOST)}:${port('gateway')}`;
process.stdout.write(`
  Healthcare supergraph is up.
    GraphQL endpoint   ${g}/graphql
    Apollo Sandbox     ${g}/            (development only)
    Health / ready     ${g}/health  ${g}/ready
    Subgraphs          ${services.map((s) => `${s} :${port(s)}`).join(', ')}
  Press Ctrl-C to stop.
`);
