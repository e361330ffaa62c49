import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from '@jest/globals';
import { describeDbError } from '@hc/db';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

/** Runs a subgraph's real main.ts with the given env; resolves with its exit code and stderr. */
function runMain(entry: string, env: Record<string, string>): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', './scripts/register.js', entry], {
      cwd: root,
      env: { PATH: process.env.PATH ?? '', NODE_ENV: 'test', LOG_LEVEL: 'silent', ...env },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stderr });
    });
  });
}

describe('subgraph start-up failures', () => {
  it('stops with a message naming a bad variable', async () => {
    const { code, stderr } = await runMain('subgraphs/auth/src/main.ts', { AUTH_PORT: 'abc' });
    expect(code).toBe(1);
    expect(stderr).toContain('AUTH_PORT');
    expect(stderr).not.toMatch(/\n\s+at /); // no stack trace
  });

  it('explains an unreachable database in one line, without a stack trace or password', async () => {
    const { code, stderr } = await runMain('subgraphs/doctor/src/main.ts', {
      DATABASE_URL: 'postgres://postgres:s3cret@127.0.0.1:1/doctor_service',
    });
    expect(code).toBe(1);
    expect(stderr).toContain('PostgreSQL is not reachable');
    expect(stderr).toContain('docker compose up -d postgres');
    expect(stderr).not.toContain('s3cret');
    expect(stderr).not.toMatch(/\n\s+at /);
  });

  it('explains a login the database refuses', async () => {
    const { code, stderr } = await runMain('subgraphs/pharmacy/src/main.ts', {
      DATABASE_URL: 'postgres://no_such_role:wrong@127.0.0.1:5432/pharmacy_service',
    });
    expect(code).toBe(1);
    expect(stderr).toMatch(/PostgreSQL refused the login|rejected the password/);
    expect(stderr).not.toContain('wrong@');
  });
});

describe('describeDbError', () => {
  it('names the cause for a wrong password and hides it', () => {
    const msg = describeDbError({ code: '28P01', message: 'password authentication failed' }, 'postgres://u:hunter2@db:5432/x');
    expect(msg).toBe('PostgreSQL rejected the password for postgres://u:***@db:5432/x. Check the credentials in DATABASE_URL.');
  });
});
