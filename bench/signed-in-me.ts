// npm run bench:me — a signed-in `me` query through the gateway: requests/s and p95. Every
// signed-in request passes the token verifier at the gateway and again in auth, so this shows the
// cost of the revocation check on the request path.
// auth and the gateway run as child processes on loopback over a fresh bench_me database;
// autocannon runs here. GraphQL errors (HTTP 200) count as errors. Env: BENCH_SECONDS (10),
// BENCH_CONNECTIONS (10), BENCH_PORT_BASE (4700), DATABASE_SERVER_URL, REDIS_URL.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { load, root, signIn, startAuthStack, table } from './harness.js';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 10);
const BASE = Number(process.env.BENCH_PORT_BASE ?? 4700);

const stack = await startAuthStack({ base: BASE, database: 'bench_me', bcryptCost: 10 });
process.on('SIGINT', () => void stack.stop().then(() => process.exit(130)));
try {
  const token = await signIn(stack.gatewayUrl, stack.email, stack.password);
  const row = await load(
    `signed-in me (${CONNECTIONS} conns)`,
    stack.gatewayUrl,
    JSON.stringify({ query: '{ me { id name email } }' }),
    {
      seconds: SECONDS,
      connections: CONNECTIONS,
      token,
      noErrors: true,
    },
  );
  delete row.latencies;
  process.stdout.write(`${table([row])}\n`);
  writeFileSync(
    path.join(root, 'bench', 'results', 'signed-in-me-latest.json'),
    JSON.stringify({ ...row, at: new Date().toISOString() }, null, 2),
  );
} finally {
  await stack.stop();
}
