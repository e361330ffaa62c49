// `npm run seed` writes demo accounts with a known password: it must refuse a production environment.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from '@jest/globals';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const seed = (env: Record<string, string>) =>
  spawnSync(process.execPath, ['--import', './scripts/register.js', 'scripts/seed.ts'], {
    cwd: root,
    // A gateway and database that do not answer: a run that gets past the guard fails fast on them.
    env: {
      ...process.env,
      GATEWAY_URL: 'http://127.0.0.1:9/graphql',
      DATABASE_URL: 'postgres://nobody@127.0.0.1:9/none',
      ...env,
    },
    encoding: 'utf8',
    timeout: 60_000,
  });

describe('npm run seed', () => {
  it('exits 1 with a message under NODE_ENV=production, before touching anything', () => {
    const run = seed({ NODE_ENV: 'production' });
    expect(run.status).toBe(1);
    expect(run.stderr).toContain('refusing to run with NODE_ENV=production');
  });

  it('gets past the guard otherwise (and then fails on the unreachable system, not on the guard)', () => {
    const run = seed({ NODE_ENV: 'development' });
    expect(run.stderr).not.toContain('refusing to run with NODE_ENV=production');
    expect(run.status).not.toBe(0);
  });
});
