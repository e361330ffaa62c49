// `npm start` entry. Plain JavaScript on purpose: it may run on the machine's own Node before
// dependencies (and the pinned Node 24 from the `node` package) are installed.
import { spawn } from 'node:child_process';
import { ensureInstalled, node24, root } from './install.mjs';

ensureInstalled();

const child = spawn(node24, ['--import', './scripts/register.js', 'scripts/start.ts', ...process.argv.slice(2)], {
  cwd: root,
  stdio: 'inherit',
});
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
