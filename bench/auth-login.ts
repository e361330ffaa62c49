// npm run bench:auth — login throughput against its CPU bound, and `me` latency while logins saturate.
//   bound = cores ÷ (time of one bcrypt hash at the configured cost), measured in this run:
//           a login is one bcrypt compare, which costs one hash, on libuv's thread pool.
//   (a) login alone: rps, p50/p95 through the gateway, and rps as a share of the bound
//   (b) `me` alone: p50/p95 (baseline)
//   (c) `me` while logins saturate the CPU: p50/p95 — bcrypt runs off the event loop, so cheap
//       requests should stay fast
// auth and the gateway run as child processes on loopback over a fresh bench_auth_login database;
// autocannon runs here. GraphQL errors (HTTP 200) count as errors. Env: BENCH_SECONDS (10), BCRYPT_COST (12), BENCH_LOGIN_CONNECTIONS
// (4 × cores), BENCH_ME_CONNECTIONS (4), BENCH_PORT_BASE (4200), DATABASE_SERVER_URL, REDIS_URL.
import os from 'node:os';
import path from 'node:path';
import { writeFileSync } from 'node:fs';
import bcrypt from 'bcrypt';
import { LOGIN, load, postJson, root, startAuthStack, table, type LoadResult } from './harness.js';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const COST = Number(process.env.BCRYPT_COST ?? 12);
const CORES = os.availableParallelism();
const LOGIN_CONNECTIONS = Number(process.env.BENCH_LOGIN_CONNECTIONS ?? CORES * 4);
const ME_CONNECTIONS = Number(process.env.BENCH_ME_CONNECTIONS ?? 4);
const BASE = Number(process.env.BENCH_PORT_BASE ?? 4200);
const log = (line: string) => process.stdout.write(`${line}\n`);

async function main() {
  log(`bench:auth: ${CORES} cores, bcrypt cost ${COST}, ${SECONDS}s per run, Node ${process.version}`);

  // One bcrypt hash, timed here on an idle machine (median of 5).
  const samples: number[] = [];
  for (let i = 0; i < 5; i++) {
    const t = performance.now();
    await bcrypt.hash('bench password 1', COST);
    samples.push(performance.now() - t);
  }
  samples.sort((a, b) => a - b);
  const hashMs = samples[2];
  const bound = CORES / (hashMs / 1000);

  const stack = await startAuthStack({
    base: BASE,
    database: 'bench_auth_login', // not bench_auth: the directory bench drops that one
    bcryptCost: COST,
    commonEnv: { UV_THREADPOOL_SIZE: String(Math.max(4, CORES)) },
    authEnv: { AUTH_RATE_LIMIT_IP: '1000000000', AUTH_RATE_LIMIT_ACCOUNT: '1000000000' },
  });
  process.on('SIGINT', () => void stack.stop().then(() => process.exit(130)));
  try {
    await measure(stack.gatewayUrl, stack.email, stack.password, hashMs, bound);
  } finally {
    await stack.stop();
  }
}

async function measure(gatewayUrl: string, email: string, password: string, hashMs: number, bound: number) {
  const dir = path.join(root, 'bench', 'results');
  const run = (target: string, body: string, connections: number, token?: string): Promise<LoadResult> =>
    load(target, gatewayUrl, body, { seconds: SECONDS, connections, token, noErrors: true });
  const loginBody = JSON.stringify({ query: LOGIN, variables: { e: email, p: password } });
  const first = await postJson(gatewayUrl, loginBody);
  if (!first.data?.login) throw new Error(`login failed: ${JSON.stringify(first.errors)}`);
  const token = first.data.login.accessToken as string;
  const meBody = JSON.stringify({ query: '{ me { id name email } }' });
  const me = await postJson(gatewayUrl, meBody).catch(() => null);
  if (!me) throw new Error('me failed');

  const results: LoadResult[] = [];
  results.push(await run(`login alone (${LOGIN_CONNECTIONS} conns)`, loginBody, LOGIN_CONNECTIONS));
  const after = await postJson(gatewayUrl, loginBody);
  if (after.errors) log(`login after the run answered: ${JSON.stringify(after.errors)}`);
  results.push(await run(`me alone (${ME_CONNECTIONS} conns)`, meBody, ME_CONNECTIONS, token));
  const [loginBusy, meBusy] = await Promise.all([
    run(`login, with me (${LOGIN_CONNECTIONS} conns)`, loginBody, LOGIN_CONNECTIONS),
    run(`me, while logins saturate (${ME_CONNECTIONS} conns)`, meBody, ME_CONNECTIONS, token),
  ]);
  results.push(loginBusy, meBusy);

  log(
    `\nbcrypt cost ${COST}: one hash ${hashMs.toFixed(1)} ms (median of 5) → bound ${bound.toFixed(1)} logins/s on ${CORES} cores`,
  );
  log(table(results));
  log(
    `\nlogin throughput: ${results[0].rps.toFixed(1)}/s = ${((100 * results[0].rps) / bound).toFixed(0)}% of the bound ${bound.toFixed(1)}/s`,
  );
  log(`me p95: ${results[1].p95.toFixed(1)} ms alone, ${meBusy.p95.toFixed(1)} ms while logins saturate`);
  writeFileSync(
    path.join(dir, 'auth-login-latest.json'),
    JSON.stringify(
      {
        cores: CORES,
        cost: COST,
        hashMs,
        bound,
        results: results.map(({ latencies: _l, ...r }) => r),
        at: new Date().toISOString(),
      },
      null,
      2,
    ),
  );
}

await main();
