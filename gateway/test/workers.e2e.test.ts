import { spawn } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from '@jest/globals';
import { testRedisPrefix, TEST_REDIS_URL } from '@hc/testing';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

const freePort = () =>
  new Promise<number>((resolve) => {
    const srv = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('GATEWAY_WORKERS (node:cluster) as a real process', () => {
  it('starts one worker per requested process on one port and stops them all on SIGTERM', async () => {
    const port = await freePort();
    const child = spawn(process.execPath, ['--import', './scripts/register.js', 'gateway/src/main.ts'], {
      cwd: root,
      env: {
        ...process.env,
        NODE_ENV: 'test',
        // 'info' is lowered to 'warn' under NODE_ENV=test; the test reads the info lines.
        LOG_LEVEL: 'debug',
        GATEWAY_PORT: String(port),
        GATEWAY_WORKERS: '2',
        REDIS_URL: TEST_REDIS_URL,
        REDIS_PREFIX: testRedisPrefix('workers'),
        AUTH_JWKS_URL: 'http://127.0.0.1:9/jwks.json',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const lines: Record<string, unknown>[] = [];
    child.stdout!.on('data', (chunk: Buffer) => {
      for (const l of chunk.toString().split('\n')) if (l.startsWith('{')) lines.push(JSON.parse(l));
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      const deadline = Date.now() + 45_000;
      while (lines.filter((l) => l.msg === 'gateway ready').length < 2 && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 200));
      }
      const workers = lines.filter((l) => l.msg === 'gateway ready').map((l) => l.pid as number);
      expect(new Set(workers).size).toBe(2);
      expect(workers).not.toContain(child.pid);
      const health = await fetch(`http://127.0.0.1:${port}/health`);
      expect(health.status).toBe(200);

      child.kill('SIGTERM');
      expect(await exited).toBe(0);
      for (const pid of workers) expect(alive(pid)).toBe(false);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  }, 60_000);
});
