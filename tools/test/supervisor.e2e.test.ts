// `npm start` as a supervisor: the real launcher (scripts/start.ts) in a child process over the
// PostgreSQL server (databases of its own, dropped afterwards) and the shared test Redis (a prefix
// of its own). A subgraph killed with SIGKILL is restarted and serves again; a service that
// crashes before it is ready ends the run with a non-zero exit code.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import pg from 'pg';
import { freePort } from '../../scripts/embedded/runtime.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const work = mkdtempSync(path.join(tmpdir(), 'hc-supervisor-'));
const SERVER = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const tag = `sup_${randomUUID().slice(0, 8)}`;
const SERVICES = ['auth', 'doctor', 'notification', 'pharmacy'] as const;
const dbUrl = (service: string) => {
  const u = new URL(SERVER);
  u.pathname = `/${tag}_${service}`;
  return u.toString();
};

interface Launched {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

function spawnLauncher(env: Record<string, string>): Launched {
  const base = { ...process.env };
  for (const k of Object.keys(base)) if (/DATABASE_URL$|^REDIS_|^EMBEDDED_/.test(k)) delete base[k];
  const child = spawn(process.execPath, ['--import', './scripts/register.js', 'scripts/start.ts'], {
    cwd: root,
    env: { ...base, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (out += c.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, output: () => out, exited };
}

async function waitForOutput(l: Launched, text: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline && l.child.exitCode === null && !l.output().includes(text)) {
    await new Promise((r) => setTimeout(r, 200));
  }
  if (!l.output().includes(text)) throw new Error(`launcher never printed "${text}":\n${l.output().slice(-4000)}`);
}

/** The pid of the launcher's child running `entry` (Linux /proc). */
function childRunning(launcherPid: number, entry: string): number | null {
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid !== launcherPid) continue;
      if (readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').includes(entry)) return Number(pid);
    } catch {
      // the process ended meanwhile
    }
  }
  return null;
}

async function gql(url: string, query: string) {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query }),
    signal: AbortSignal.timeout(5_000),
  });
  return (await res.json()) as { data?: Record<string, unknown>; errors?: { message: string }[] };
}

async function baseEnv(): Promise<Record<string, string>> {
  const [g, a, d, n, p] = await Promise.all([freePort(), freePort(), freePort(), freePort(), freePort()]);
  return {
    EMBEDDED_DB: 'false',
    EMBEDDED_REDIS: 'false',
    DATA_DIR: path.join(work, 'data'),
    DATABASE_URL: SERVER,
    ...Object.fromEntries(SERVICES.map((s) => [`${s.toUpperCase()}_DATABASE_URL`, dbUrl(s)])),
    REDIS_URL: process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379',
    REDIS_PREFIX: `test:supervisor:${tag}`,
    KEYS_DIR: path.join(work, 'keys'),
    MAIL_CAPTURE_DIR: path.join(work, 'mail'),
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
}

afterAll(async () => {
  const client = new pg.Client({ connectionString: SERVER });
  await client.connect();
  try {
    for (const s of SERVICES) await client.query(`drop database if exists "${tag}_${s}" with (force)`);
  } finally {
    await client.end();
  }
  rmSync(work, { recursive: true, force: true });
});

describe('npm start supervises its services', () => {
  let running: Launched | null = null;
  let gatewayUrl = '';

  beforeAll(async () => {
    const env = await baseEnv();
    gatewayUrl = `http://127.0.0.1:${env.GATEWAY_PORT}/graphql`;
    running = spawnLauncher(env);
    await waitForOutput(running, 'Healthcare supergraph is up.', 150_000);
  }, 160_000);

  afterAll(async () => {
    if (running && running.child.exitCode === null) {
      running.child.kill('SIGINT');
      await running.exited;
    }
  }, 30_000);

  it('restarts a subgraph killed with SIGKILL and the gateway answers through it again', async () => {
    const query = `query { categories { name } }`;
    expect((await gql(gatewayUrl, query)).errors).toBeUndefined();
    const pid = childRunning(running!.child.pid!, 'subgraphs/pharmacy/src/main.ts');
    expect(pid).not.toBeNull();
    process.kill(pid!, 'SIGKILL');

    await waitForOutput(running!, '✗ pharmacy exited (signal SIGKILL), restarting in 1 s', 10_000);
    await waitForOutput(running!, '✓ pharmacy is back', 60_000);
    const again = await gql(gatewayUrl, query);
    expect(again.errors).toBeUndefined();
    expect(Array.isArray(again.data!.categories)).toBe(true);
    const restarted = childRunning(running!.child.pid!, 'subgraphs/pharmacy/src/main.ts');
    expect(restarted).not.toBeNull();
    expect(restarted).not.toBe(pid);
    // The other services kept running: the launcher is still up.
    expect(running!.child.exitCode).toBeNull();
  }, 90_000);

  it('still stops everything on Ctrl-C', async () => {
    running!.child.kill('SIGINT');
    expect(await running!.exited).toBe(0);
    expect(childRunning(running!.child.pid!, 'subgraphs/doctor/src/main.ts')).toBeNull();
  }, 30_000);
});

it('ends the run with an error when a service crashes before it is ready', async () => {
  const env = await baseEnv();
  // Nothing listens on port 9: the pharmacy subgraph cannot reach its database and exits at start.
  const launched = spawnLauncher({ ...env, PHARMACY_DATABASE_URL: 'postgres://postgres@127.0.0.1:9/nothing' });
  let timer: NodeJS.Timeout | undefined;
  const code = await Promise.race([
    launched.exited,
    new Promise<'timeout'>((r) => (timer = setTimeout(() => r('timeout'), 150_000))),
  ]);
  clearTimeout(timer);
  if (code === 'timeout') launched.child.kill('SIGKILL');
  expect(code).not.toBe('timeout');
  expect(code).not.toBe(0);
  expect(launched.output()).toMatch(/✗ pharmacy exited \(code \d+\) before it was ready; stopping everything/);
}, 160_000);
