// A private redis-server for `npm start` when no Redis answers: random free port, loopback only,
// no persistence (queues and caches of a development run are disposable), stopped with the system.
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { pingRedis } from '@hc/service';
import { freePort } from './runtime.ts';

export interface PrivateRedis {
  url: string;
  pid: number;
  stop: () => Promise<void>;
}

/** The redis-server executable on PATH, or null. */
export function findRedisServer(): string | null {
  const probe = spawnSync('redis-server', ['--version'], { encoding: 'utf8' });
  return probe.status === 0 ? 'redis-server' : null;
}

export async function startPrivateRedis(options: { dir: string; executable?: string }): Promise<PrivateRedis> {
  mkdirSync(options.dir, { recursive: true });
  const port = await freePort();
  const child = spawn(
    options.executable ?? 'redis-server',
    [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      '--appendonly',
      'no',
      '--dir',
      options.dir,
      '--loglevel',
      'warning',
    ],
    // Own process group: Ctrl-C in the terminal must not stop Redis before the services have drained.
    { stdio: ['ignore', 'ignore', 'pipe'], detached: true },
  );
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const url = `redis://127.0.0.1:${port}`;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
  };
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`redis-server exited at start (code ${child.exitCode}): ${stderr.trim()}`);
    try {
      await pingRedis(url);
      return { url, pid: child.pid!, stop };
    } catch (error) {
      if (Date.now() > deadline) {
        await stop();
        throw error;
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}
