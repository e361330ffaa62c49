// Time from process start to the first 200 on /ready of one subgraph, started as the image starts
// it from source (TypeScript through scripts/register.js) and precompiled (deploy/image/build.mjs).
// Usage (repository root, PostgreSQL + Redis up, a migrated database in DATABASE_URL):
//   node deploy/image/measure-start.mjs <source-root> <compiled-root> [service=doctor] [rounds=5]
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { performance } from 'node:perf_hooks';

const [sourceRoot, compiledRoot, service = 'doctor', rounds = '5'] = process.argv.slice(2);
const freePort = () =>
  new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });

/** CPU time (user + system) the process has used so far: unlike wall time, not inflated by a busy machine. */
const cpuMs = (pid) => {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100; // utime + stime, in USER_HZ (100)
};

async function once(cwd, args) {
  const port = await freePort();
  const started = performance.now();
  const child = spawn(process.execPath, args, {
    cwd,
    env: {
      ...process.env,
      [`${service.toUpperCase()}_PORT`]: String(port),
      MIGRATE_ON_START: 'false',
      NODE_ENV: 'production',
      LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  try {
    for (;;) {
      if (child.exitCode !== null) throw new Error(`${service} exited with ${child.exitCode}`);
      try {
        const res = await fetch(`http://127.0.0.1:${port}/ready`);
        if (res.status === 200) return { wall: performance.now() - started, cpu: cpuMs(child.pid) };
      } catch {
        /* not listening yet */
      }
      await new Promise((r) => setTimeout(r, 20));
    }
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
  }
}

const modes = {
  'source (scripts/register.js)': [sourceRoot, ['--import', './scripts/register.js', `subgraphs/${service}/src/main.ts`]],
  'precompiled .js': [compiledRoot, ['--import', 'reflect-metadata', `subgraphs/${service}/src/main.js`]],
};
const results = Object.fromEntries(Object.keys(modes).map((k) => [k, []]));
for (let i = 0; i < Number(rounds); i++) {
  for (const [name, [cwd, args]] of Object.entries(modes)) results[name].push(await once(cwd, args));
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)].toFixed(0);
for (const [name, runs] of Object.entries(results)) {
  const wall = runs.map((r) => r.wall);
  const cpu = runs.map((r) => r.cpu);
  process.stdout.write(
    `${name.padEnd(28)} to /ready: median ${median(wall)} ms wall, ${median(cpu)} ms CPU  (wall runs: ${wall.map((t) => t.toFixed(0)).join(', ')})\n`,
  );
}
