// The one install step of `npm start` and `npm test`: `npm ci` when dependencies (or the pinned
// Node 24 from the `node` package) are missing. Plain JavaScript on purpose: it runs on the
// machine's own Node, before anything is installed.
import { existsSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

export const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
export const node24 = path.join(root, 'node_modules', '.bin', process.platform === 'win32' ? 'node.cmd' : 'node');

/** Runs `npm ci` in the repository root unless node_modules is already in place; exits on failure. */
export function ensureInstalled() {
  if (existsSync(path.join(root, 'node_modules', '@swc-node')) && existsSync(node24)) return;
  console.log('Installing dependencies (npm ci)...');
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const result = spawnSync(npm, ['ci'], { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) process.exit(result.status ?? 1);
}
