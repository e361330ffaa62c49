// `npm test`: every workspace's Jest suite through turbo, then one closing line for all of them.
// Installs first, exactly as `npm start` does, so it works on a fresh clone.
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { ensureInstalled, root } from './install.mjs';

ensureInstalled();

const results = path.join(root, '.test-results');
rmSync(results, { recursive: true, force: true });

const args = ['run', 'test', '--concurrency=2', '--continue', ...process.argv.slice(2)];
// The installed turbo, not `npx` (which would try the registry if it were missing).
const turbo = path.join(root, 'node_modules', '.bin', process.platform === 'win32' ? 'turbo.cmd' : 'turbo');
const run = spawnSync(turbo, args, { cwd: root, stdio: 'inherit', env: { ...process.env, TURBO_TELEMETRY_DISABLED: '1' } });

let passed = 0;
let failed = 0;
let skipped = 0;
let files = [];
try {
  files = readdirSync(results);
} catch {
  /* no package reported */
}
for (const f of files) {
  const r = JSON.parse(readFileSync(path.join(results, f), 'utf8'));
  passed += r.passed;
  failed += r.failed;
  skipped += r.skipped;
}
const code = run.status ?? 1;
if (code !== 0 && failed === 0) failed = 1; // a suite that crashed before reporting still fails the run
console.log(`\n${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(code === 0 && failed === 0 && passed > 0 ? 0 : 1);
