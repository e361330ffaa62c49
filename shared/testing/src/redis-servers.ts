import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';

/**
 * Private redis-server processes for tests that stop, kill or flush Redis (never the shared one).
 * Each listens on a free loopback port, keeps nothing on disk and is stopped by the test.
 */

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

async function until(what: string, probe: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    if (await probe().catch(() => false)) return;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function answers(port: number): Promise<boolean> {
  const redis = new Redis({ host: '127.0.0.1', port, lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0 });
  redis.on('error', () => undefined);
  try {
    await redis.connect();
    return (await redis.ping()) === 'PONG';
  } finally {
    redis.disconnect();
  }
}

export interface RedisProcess {
  port: number;
  url: string;
  process: ChildProcess;
  /** SIGKILL, as a crash would. */
  kill: () => void;
  stop: () => Promise<void>;
}

function spawnRedis(port: number, args: string[]): RedisProcess {
  const child = spawn('redis-server', args, { stdio: 'ignore' });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    process: child,
    kill: () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    },
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGKILL');
        await exited;
      }
    },
  };
}

/** A redis-server without persistence; `replicaOf` makes it a replica of another one; `port` reuses a port (a restart). */
export async function startRedisServer(options: { replicaOf?: number; port?: number } = {}): Promise<RedisProcess> {
  const port = options.port ?? (await freePort());
  const server = spawnRedis(port, [
    '--port',
    String(port),
    '--bind',
    '127.0.0.1',
    '--save',
    '',
    '--appendonly',
    'no',
    ...(options.replicaOf ? ['--replicaof', '127.0.0.1', String(options.replicaOf)] : []),
  ]);
  await until(`redis-server on ${port}`, () => answers(port)).catch(async (error) => {
    await server.stop();
    throw error;
  });
  return server;
}

export interface SentinelSet {
  master: RedisProcess;
  replica: RedisProcess;
  sentinels: RedisProcess[];
  /** REDIS_SENTINELS value. */
  addresses: string;
  name: string;
  /** Port of the master Sentinel currently announces. */
  currentMasterPort: () => Promise<number>;
  stop: () => Promise<void>;
}

/** A master, one replica and three sentinels (quorum 2) that fail over about a second after the master dies. */
export async function startSentinelSet(name = 'mymaster'): Promise<SentinelSet> {
  const dir = mkdtempSync(join(tmpdir(), 'hc-sentinel-'));
  const started: RedisProcess[] = [];
  try {
    const master = await startRedisServer();
    started.push(master);
    const replica = await startRedisServer({ replicaOf: master.port });
    started.push(replica);
    const sentinels: RedisProcess[] = [];
    for (let i = 0; i < 3; i++) {
      const port = await freePort();
      const conf = join(dir, `sentinel-${i}.conf`);
      writeFileSync(
        conf,
        [
          `port ${port}`,
          'bind 127.0.0.1',
          `dir ${dir}`,
          `sentinel monitor ${name} 127.0.0.1 ${master.port} 2`,
          `sentinel down-after-milliseconds ${name} 1000`,
          `sentinel failover-timeout ${name} 5000`,
          `sentinel parallel-syncs ${name} 1`,
          '',
        ].join('\n'),
      );
      const sentinel = spawnRedis(port, [conf, '--sentinel']);
      started.push(sentinel);
      sentinels.push(sentinel);
    }
    for (const s of sentinels) await until(`sentinel on ${s.port}`, () => answers(s.port));
    const ask = async () => {
      for (const s of sentinels) {
        const redis = new Redis({ host: '127.0.0.1', port: s.port, lazyConnect: true, retryStrategy: () => null });
        redis.on('error', () => undefined);
        try {
          await redis.connect();
          const [, port] = (await redis.call('SENTINEL', 'get-master-addr-by-name', name)) as [string, string];
          return Number(port);
        } catch {
          // next sentinel
        } finally {
          redis.disconnect();
        }
      }
      throw new Error('no sentinel answers');
    };
    // The replica must be in sync and known to the sentinels before a failover can promote it.
    await until('replica in sync', async () => {
      const redis = new Redis({ host: '127.0.0.1', port: replica.port, lazyConnect: true, retryStrategy: () => null });
      redis.on('error', () => undefined);
      try {
        await redis.connect();
        return /master_link_status:up/.test(await redis.info('replication'));
      } finally {
        redis.disconnect();
      }
    });
    await until('sentinels see the replica', async () => {
      for (const s of sentinels) {
        const redis = new Redis({ host: '127.0.0.1', port: s.port, lazyConnect: true, retryStrategy: () => null });
        redis.on('error', () => undefined);
        try {
          await redis.connect();
          const replicas = (await redis.call('SENTINEL', 'replicas', name)) as unknown[];
          if (replicas.length === 0) return false;
        } finally {
          redis.disconnect();
        }
      }
      return true;
    });
    return {
      master,
      replica,
      sentinels,
      addresses: sentinels.map((s) => `127.0.0.1:${s.port}`).join(','),
      name,
      currentMasterPort: ask,
      stop: async () => {
        await Promise.all(started.map((p) => p.stop()));
        rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await Promise.all(started.map((p) => p.stop()));
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
}
