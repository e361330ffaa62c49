import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from '@jest/globals';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const FIXTURE = 'shared/service/src/lifecycle.fixture.ts';

/** Starts the fixture, sends SIGTERM once it is ready (unless it exits first), returns its exit code and output. */
function run(env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', './scripts/register.js', FIXTURE], {
      cwd: root,
      env: { PATH: process.env.PATH ?? '', NODE_ENV: 'test', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => {
      stdout += c.toString();
      if (stdout === 'ready\n') child.kill('SIGTERM');
    });
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

describe('runProcess', () => {
  it('on SIGTERM runs the stop steps in order and exits 0', async () => {
    const { code, stdout } = await run({ STEPS: 'ok,ok,ok' });
    expect(stdout).toBe('ready\nstop ok0\nstop ok1\nstop ok2\n');
    expect(code).toBe(0);
  });

  it('runs the later steps after a failing one, then exits 1', async () => {
    const { code, stdout } = await run({ STEPS: 'ok,fail,ok' });
    expect(stdout).toBe('ready\nstop ok0\nstop fail1\nstop ok2\n');
    expect(code).toBe(1);
  });

  it('exits 1 when the steps outlast the stop timeout', async () => {
    const started = Date.now();
    const { code, stdout } = await run({ STEPS: 'hang,ok' });
    expect(stdout).toBe('ready\nstop hang0\n');
    expect(code).toBe(1);
    expect(Date.now() - started).toBeLessThan(15_000);
  });

  it('a start-up error is one line on stderr and exit code 1', async () => {
    const { code, stdout, stderr } = await run({ FAIL_START: '1' });
    expect(stdout).toBe('');
    expect(stderr).toBe('[fixture] cannot start: FAIL_START is set\n');
    expect(code).toBe(1);
  });
});
