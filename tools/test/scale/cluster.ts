// A small "cluster" on loopback for the scale-out test: the services compiled as the image runs
// them (deploy/image/build.mjs), two replicas of every subgraph and of the gateway, two
// notification workers (RUN_WORKER=true, in no load-balancer pool, like deploy/k8s), HAProxy in
// front of each pool as the Kubernetes Services would be, one fresh set of databases migrated once
// (as the migrate Job does), one Redis prefix, a fake SMTP server.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  realpathSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { dropDatabase, ensureDatabase, withDatabase } from '@hc/db';

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const SERVER = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
export const SUBGRAPHS = ['auth', 'doctor', 'notification', 'pharmacy'] as const;
export type Subgraph = (typeof SUBGRAPHS)[number];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

/** HAProxy from Debian's packages; installed (apt-get) when missing, as CI's fresh machines need. */
export function ensureHaproxy(): string {
  const which = () => spawnSync('sh', ['-c', 'command -v haproxy'], { encoding: 'utf8' }).stdout.trim();
  if (which()) return which();
  const install = spawnSync('sh', ['-c', 'apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y haproxy'], {
    encoding: 'utf8',
    timeout: 300_000,
  });
  if (!which())
    throw new Error(`haproxy is not installed and apt-get could not install it:\n${install.stdout}\n${install.stderr}`);
  return which();
}

/**
 * The services as the image runs them: a copy of the sources compiled in place, with a
 * node_modules of links (packages from the checkout, @hc/* to the copy's workspaces).
 */
function compiledTree(work: string): string {
  const tree = path.join(work, 'app');
  const skip = /(^|\/)(node_modules|\.turbo|coverage|\.keys|\.mail|\.data|test|\.test-results)$/;
  for (const part of [
    'package.json',
    'tsconfig.json',
    'tsconfig.base.json',
    'gateway',
    'shared',
    'subgraphs',
    'scripts',
    'deploy/image',
  ]) {
    cpSync(path.join(root, part), path.join(tree, part), { recursive: true, filter: (src) => !skip.test(src) });
  }
  mkdirSync(path.join(tree, 'node_modules', '@hc'), { recursive: true });
  for (const entry of readdirSync(path.join(root, 'node_modules'))) {
    if (entry === '@hc' || entry === '.bin') continue;
    symlinkSync(path.join(root, 'node_modules', entry), path.join(tree, 'node_modules', entry));
  }
  for (const link of readdirSync(path.join(root, 'node_modules', '@hc'))) {
    const relative = path.relative(root, realpathSync(path.join(root, 'node_modules', '@hc', link)));
    if (existsSync(path.join(tree, relative)))
      symlinkSync(path.join(tree, relative), path.join(tree, 'node_modules', '@hc', link));
  }
  const build = spawnSync(process.execPath, ['deploy/image/build.mjs'], { cwd: tree, encoding: 'utf8' });
  if (build.status !== 0) throw new Error(`deploy/image/build.mjs failed:\n${build.stdout}\n${build.stderr}`);
  return tree;
}

export interface Replica {
  name: string;
  port: number;
  url: string;
  child: ChildProcess | null;
  /** Starts (again) on the same port and waits for /ready. */
  start: () => Promise<void>;
  /** SIGTERM, waits for the process to exit by itself (SIGKILL after 20 s); how it ended. */
  stop: () => Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  output: () => string;
}

export interface Cluster {
  /** HAProxy's public frontend: the gateways. */
  url: string;
  gateways: Replica[];
  subgraphs: Record<Subgraph, Replica[]>;
  workers: Replica[];
  databases: Record<Subgraph, string>;
  redisPrefix: string;
  /** Takes a server out of (or back into) its HAProxy pool, as an endpoint leaves a Service. */
  setState: (pool: string, server: string, state: 'ready' | 'maint') => Promise<void>;
  createAdmin: (email: string, password: string) => void;
  /** Replicas that are not running (crashed) with the tail of their output, and servers HAProxy saw fail. */
  diagnose: () => string;
  stop: () => Promise<void>;
}

export async function startCluster(options: { smtpUrl: string; label: string }): Promise<Cluster> {
  const haproxyBin = ensureHaproxy();
  const work = mkdtempSync(path.join(tmpdir(), 'hc-scale-'));
  const tree = compiledTree(work);
  const run = randomBytes(4).toString('hex');
  const databases = Object.fromEntries(SUBGRAPHS.map((s) => [s, withDatabase(SERVER, `scale_${run}_${s}`)])) as Record<
    Subgraph,
    string
  >;
  const redisPrefix = `test:${options.label}:${run}`;
  const processes: Replica[] = [];
  let haproxy: ChildProcess | null = null;
  let haproxyOut = '';

  const stopAll = async () => {
    await Promise.all(processes.map((p) => p.stop()));
    haproxy?.kill('SIGTERM');
    for (const url of Object.values(databases)) await dropDatabase(url).catch(() => undefined);
    // This run's keys only (queues, caches, rate limits under its own prefix).
    const redis = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
    try {
      await redis.connect();
      let cursor = '0';
      do {
        const [next, keys] = await redis.scan(cursor, 'MATCH', `${redisPrefix}:*`, 'COUNT', 500);
        if (keys.length) await redis.unlink(...keys);
        cursor = next;
      } while (cursor !== '0');
    } catch {
      /* best effort: the keys are namespaced and harmless */
    } finally {
      redis.disconnect();
    }
    rmSync(work, { recursive: true, force: true });
  };

  // Production settings every process needs (the Secrets in deploy/k8s).
  const sharedSecret = randomBytes(24).toString('hex');
  try {
    // Migrations once, before any replica starts (the migrate Job); replicas run MIGRATE_ON_START=false.
    for (const s of SUBGRAPHS) {
      await ensureDatabase(databases[s]);
      const m = spawnSync(process.execPath, ['--import', 'reflect-metadata', 'scripts/subgraph-cli.js', s, 'migrate', 'up'], {
        cwd: tree,
        env: { ...process.env, DATABASE_URL: databases[s], NODE_ENV: 'production', SUBGRAPH_SHARED_SECRET: sharedSecret },
        encoding: 'utf8',
      });
      if (m.status !== 0) throw new Error(`migrating ${s} failed:\n${m.stdout}\n${m.stderr}`);
    }

    // The signing key every auth replica shares (the auth-jwt-keys Secret in deploy/k8s).
    const keysDir = path.join(work, 'keys');
    mkdirSync(keysDir);
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    writeFileSync(path.join(keysDir, 'active.pem'), privateKey.export({ format: 'pem', type: 'pkcs8' }));

    const lb = {
      gateway: await freePort(),
      ...(Object.fromEntries(await Promise.all(SUBGRAPHS.map(async (s) => [s, await freePort()] as const))) as Record<
        Subgraph,
        number
      >),
    };
    const lbUrl = (pool: Subgraph) => `http://127.0.0.1:${lb[pool]}`;
    const common = {
      NODE_ENV: 'production',
      LOG_LEVEL: 'warn',
      HOST: '127.0.0.1',
      REDIS_URL,
      REDIS_PREFIX: redisPrefix,
      AUTH_JWKS_URL: `${lbUrl('auth')}/.well-known/jwks.json`,
      MIGRATE_ON_START: 'false',
      DATABASE_POOL_MAX: '5',
      SUBGRAPH_SHARED_SECRET: sharedSecret,
      INTERNAL_SECRET: randomBytes(24).toString('hex'),
    };
    const envFor: Record<Subgraph | 'gateway' | 'worker', Record<string, string>> = {
      auth: {
        DATABASE_URL: databases.auth,
        KEYS_DIR: keysDir,
        JWT_PRIVATE_KEY_FILE: path.join(keysDir, 'active.pem'),
        BCRYPT_COST: '10',
        // Sign-ups come in bursts of 6 that need not spread evenly over the replicas: queue them.
        PASSWORD_HASH_QUEUE: '100',
        PASSWORD_HASH_QUEUE_WAIT_MS: '60000',
        // Every request reaches auth from 127.0.0.1 here: per-IP limits would count the whole test as one client.
        AUTH_RATE_LIMIT_IP: '100000',
        AUTH_RATE_LIMIT_ACCOUNT: '1000',
      },
      doctor: {
        DATABASE_URL: databases.doctor,
        DOCUMENTS_URL_SECRET: randomBytes(24).toString('hex'),
        DOCUMENTS_DIR: path.join(work, 'documents'),
      },
      pharmacy: { DATABASE_URL: databases.pharmacy },
      notification: { DATABASE_URL: databases.notification, SMTP_URL: options.smtpUrl, RUN_WORKER: 'false' },
      worker: { DATABASE_URL: databases.notification, SMTP_URL: options.smtpUrl, RUN_WORKER: 'true', JOB_BACKOFF_MS: '200' },
      gateway: {
        // All load comes from 127.0.0.1 here: the per-address limit would measure itself.
        RATE_LIMIT_ENABLED: 'false',
        CACHE_REDIS_URL: REDIS_URL,
        AUTH_URL: `${lbUrl('auth')}/graphql`,
        DOCTOR_URL: `${lbUrl('doctor')}/graphql`,
        NOTIFICATION_URL: `${lbUrl('notification')}/graphql`,
        PHARMACY_URL: `${lbUrl('pharmacy')}/graphql`,
      },
    };

    const replica = async (name: string, kind: Subgraph | 'gateway' | 'worker'): Promise<Replica> => {
      const port = await freePort();
      const service = kind === 'worker' ? 'notification' : kind;
      const entry = service === 'gateway' ? 'gateway/src/main.js' : `subgraphs/${service}/src/main.js`;
      let out = '';
      let exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }> = Promise.resolve({ code: null, signal: null });
      const r: Replica = {
        name,
        port,
        url: `http://127.0.0.1:${port}`,
        child: null,
        output: () => out,
        start: async () => {
          const child = spawn(process.execPath, ['--import', 'reflect-metadata', entry], {
            cwd: tree,
            env: { ...process.env, ...common, ...envFor[kind], [`${service.toUpperCase()}_PORT`]: String(port) },
            stdio: ['ignore', 'pipe', 'pipe'],
          });
          r.child = child;
          const keep = (c: Buffer) => (out = (out + c.toString()).slice(-6000));
          child.stdout!.on('data', keep);
          child.stderr!.on('data', keep);
          exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
          const deadline = Date.now() + 180_000;
          while (Date.now() < deadline) {
            if (child.exitCode !== null) throw new Error(`${name} exited with ${child.exitCode}:\n${out}`);
            try {
              const res = await fetch(`${r.url}/ready`, { signal: AbortSignal.timeout(2_000) });
              if (res.status === 200) return;
            } catch {
              /* not listening yet */
            }
            await sleep(150);
          }
          throw new Error(`${name} was not ready within 180 s:\n${out}`);
        },
        stop: async () => {
          const child = r.child;
          if (!child || child.exitCode !== null || child.signalCode !== null) {
            return { code: child?.exitCode ?? null, signal: child?.signalCode ?? null };
          }
          child.kill('SIGTERM');
          const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
          const result = await exited;
          clearTimeout(timer);
          return result;
        },
      };
      processes.push(r);
      return r;
    };

    const subgraphs = Object.fromEntries(
      await Promise.all(SUBGRAPHS.map(async (s) => [s, [await replica(`${s}-1`, s), await replica(`${s}-2`, s)]])),
    ) as Record<Subgraph, Replica[]>;
    const workers = [await replica('notification-worker-1', 'worker'), await replica('notification-worker-2', 'worker')];
    const gateways = [await replica('gateway-1', 'gateway'), await replica('gateway-2', 'gateway')];

    // HAProxy: one frontend per pool, health-checked on /ready like a readiness probe; WebSockets
    // tunnel through. Only connection failures are retried (a request that reached a server is
    // never replayed: mutations must not run twice).
    const socket = path.join(work, 'haproxy.sock');
    const pool = (name: string, port: number, servers: Replica[]) => `
frontend fe_${name}
  bind 127.0.0.1:${port}
  default_backend be_${name}
backend be_${name}
  balance roundrobin
  option httpchk GET /ready
  http-check expect status 200
  default-server inter 1s fastinter 500ms fall 3 rise 1
${servers.map((s) => `  server ${s.name} 127.0.0.1:${s.port} check`).join('\n')}
`;
    const config = `global
  log stderr format raw local0 info
  stats socket ${socket} mode 600 level admin
  maxconn 4096
defaults
  mode http
  log global
  option httplog
  option redispatch
  retries 3
  timeout connect 2s
  # Idle client connections live longer here than in the client (undici drops them after 4 s),
  # so the client never reuses a connection HAProxy is closing.
  timeout client 75s
  timeout server 60s
  timeout tunnel 1h
  timeout check 5s
  timeout http-keep-alive 75s
${pool('gateway', lb.gateway, gateways)}${SUBGRAPHS.map((s) => pool(s, lb[s], subgraphs[s])).join('')}`;
    writeFileSync(path.join(work, 'haproxy.cfg'), config);

    // Auth first (the others fetch its JWKS through HAProxy), so HAProxy comes up before them.
    haproxy = spawn(haproxyBin, ['-db', '-f', path.join(work, 'haproxy.cfg')], { stdio: ['ignore', 'pipe', 'pipe'] });
    const keepLog = (c: Buffer) => (haproxyOut = (haproxyOut + c.toString()).slice(-400_000));
    haproxy.stdout!.on('data', keepLog);
    haproxy.stderr!.on('data', keepLog);
    await Promise.all(subgraphs.auth.map((r) => r.start()));
    const up = async (url: string) => {
      for (let i = 0; i < 100; i++) {
        if (haproxy!.exitCode !== null) throw new Error(`haproxy exited:\n${haproxyOut}`);
        if (
          await fetch(url).then(
            (r) => r.ok,
            () => false,
          )
        )
          return;
        await sleep(100);
      }
      throw new Error(`${url} did not answer through haproxy:\n${haproxyOut}`);
    };
    await up(`${lbUrl('auth')}/ready`);
    await Promise.all([...SUBGRAPHS.filter((s) => s !== 'auth').flatMap((s) => subgraphs[s]), ...workers].map((r) => r.start()));
    await Promise.all(gateways.map((g) => g.start()));
    await up(`http://127.0.0.1:${lb.gateway}/ready`);

    const setState = (poolName: string, server: string, state: 'ready' | 'maint') =>
      new Promise<void>((resolve, reject) => {
        const c = net.connect(socket);
        let reply = '';
        c.on('data', (d) => (reply += d.toString()));
        c.on('error', reject);
        c.on('end', () => (reply.trim() ? reject(new Error(`haproxy: ${reply.trim()}`)) : resolve()));
        c.end(`set server be_${poolName}/${server} state ${state}\n`);
      });

    return {
      url: `http://127.0.0.1:${lb.gateway}`,
      gateways,
      subgraphs,
      workers,
      databases,
      redisPrefix,
      setState,
      createAdmin: (email, password) => {
        const r = spawnSync(
          process.execPath,
          ['--import', 'reflect-metadata', 'scripts/create-admin.js', '--email', email, '--name', 'Scale Admin'],
          // AUTH_DATABASE_URL: the operator commands derive <service>_service from DATABASE_URL otherwise.
          {
            cwd: tree,
            env: { ...process.env, ...common, ...envFor.auth, AUTH_DATABASE_URL: databases.auth, ADMIN_PASSWORD: password },
            encoding: 'utf8',
          },
        );
        if (r.status !== 0) throw new Error(`create-admin failed:\n${r.stdout}\n${r.stderr}`);
      },
      diagnose: () =>
        [
          ...processes
            .filter((p) => p.child && (p.child.exitCode !== null || p.child.signalCode !== null))
            .map((p) => `${p.name} exited (${p.child!.exitCode ?? p.child!.signalCode}):\n${p.output().slice(-2000)}`),
          // Requests HAProxy ended abnormally (termination flags other than ----).
          ...haproxyOut
            .split('\n')
            .filter((l) => /\s(?!----)[-A-Za-z]{4}\s\d+\/\d+\/\d+\/\d+\/\d+\s/.test(l))
            .slice(-20),
        ].join('\n'),
      stop: stopAll,
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}

/** Resident memory (MiB) and CPU seconds a process has used, from /proc. */
export function usage(pid: number): { rssMiB: number; cpuSeconds: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const rss = Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? 0) / 1024;
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return { rssMiB: rss, cpuSeconds: (Number(stat[11]) + Number(stat[12])) / 100 };
}
