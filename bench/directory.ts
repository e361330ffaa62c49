// npm run bench — the federated directory read, measured in one run:
//   (a) RPS and p50/p95/p99 through our gateway (20 doctors with user names and workplaces)
//   (b) the same read from the doctor subgraph directly, and the gateway/direct ratio
//   (c) SQL statements per request at page sizes 10 and 100
//   (d) the same read through Hive Gateway on the same supergraph and subgraphs
//   plus p95 at a fixed 200 rps, and the read with our Redis response cache on (reported apart).
// Everything runs on loopback: subgraphs and gateways as child processes over fresh bench_*
// databases, autocannon in this process. Env: BENCH_SECONDS (10), BENCH_CONNECTIONS (10),
// BENCH_DOCTORS (120), DATABASE_SERVER_URL, REDIS_URL. Free ports, databases bench_dir_<run>_*.
import { randomBytes } from 'node:crypto';
import { mkdirSync, realpathSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { dropDatabase, ensureDatabase, withDatabase } from '@hc/db';
import { composeFromCode, createTestKeys } from '@hc/testing';
import { seedDirectory } from '@hc/doctor-subgraph/testing';
import {
  counter,
  freePort,
  gatewaySigned,
  interleaved,
  load,
  postJson,
  root,
  startService,
  table,
  type LoadResult,
  type Service,
} from './harness.js';
import { subgraphs } from '../scripts/subgraphs.ts';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 10);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const DOCTORS = Number(process.env.BENCH_DOCTORS ?? 120);
const SERVER = process.env.DATABASE_SERVER_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

const SUBGRAPHS = ['auth', 'doctor', 'notification', 'pharmacy'] as const;
type Name = (typeof SUBGRAPHS)[number];
// Free ports and per-run database names: other benchmarks may run on the same machine at the same time.
const PORTS = ['auth', 'doctor', 'notification', 'pharmacy', 'gateway', 'cached', 'hive', 'nodedupe'] as const;
const port = {} as Record<(typeof PORTS)[number], number>;
for (const name of PORTS) port[name] = await freePort();
const url = (p: number, suffix = '/graphql') => `http://127.0.0.1:${p}${suffix}`;

const DIRECTORY = `query Directory($first: Int) { doctors(first: $first) { totalCount nodes { id specialization user { name } workplaces { id name type timeZone } } } }`;
// The doctor subgraph alone knows users only by id (names live in auth).
const DIRECTORY_DIRECT = `query Directory($first: Int) { doctors(first: $first) { totalCount nodes { id specialization user { id } workplaces { id name type timeZone } } } }`;
const body = (query: string, first: number) => JSON.stringify({ query, variables: { first }, operationName: 'Directory' });

const services: Service[] = [];
const databases: string[] = [];
async function cleanup() {
  await Promise.all(services.reverse().map((s) => s.stop()));
  for (const db of databases) await dropDatabase(db).catch(() => undefined);
}
process.on('SIGINT', () => void cleanup().then(() => process.exit(130)));

async function main() {
  const log = (line: string) => process.stdout.write(`${line}\n`);
  const keys = createTestKeys();
  const runId = randomBytes(4).toString('hex');
  const prefix = `bench:${runId}`;
  const common = {
    NODE_ENV: 'production',
    LOG_LEVEL: 'warn',
    HOST: '127.0.0.1',
    REDIS_URL,
    REDIS_PREFIX: prefix,
    JWT_ISSUER: keys.issuer,
    JWT_AUDIENCE: keys.audience,
    AUTH_JWKS_URL: url(port.auth, '/.well-known/jwks.json'),
  };

  log(
    `load average at start: ${os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')} (other work on the machine skews every figure)`,
  );
  log(
    `bench: ${DOCTORS} doctors, ${SECONDS}s per run, ${CONNECTIONS} connections, ${os.cpus().length} cores, Node ${process.version}`,
  );
  const dbUrl: Record<Name, string> = {} as never;
  for (const name of SUBGRAPHS) {
    dbUrl[name] = withDatabase(SERVER, `bench_dir_${runId}_${name}`);
    await ensureDatabase(dbUrl[name]);
    databases.push(dbUrl[name]);
  }
  for (const name of SUBGRAPHS) {
    services.push(
      await startService(
        name,
        ['--import', './scripts/register.js', `subgraphs/${name}/src/main.ts`],
        {
          ...common,
          // Only auth signs; it reads the key pair the bench generated.
          ...(name === 'auth' ? { JWT_PRIVATE_KEY_FILE: path.join(keys.dir, 'active.pem'), KEYS_DIR: keys.dir } : {}),
          ...(name === 'notification' ? { NODE_ENV: 'development', MAIL_CAPTURE_DIR: path.join(keys.dir, 'mail') } : {}),
          // Production requires the document URL key (the bench uploads nothing).
          ...(name === 'doctor'
            ? { DOCUMENTS_URL_SECRET: randomBytes(32).toString('hex'), DOCUMENTS_DIR: path.join(keys.dir, 'documents') }
            : {}),
          DATABASE_URL: dbUrl[name],
          DATABASE_POOL_MAX: '10',
          MIGRATE_ON_START: 'true',
          [`${name.toUpperCase()}_PORT`]: String(port[name]),
        },
        url(port[name], '/health'),
        url(port[name]),
      ),
    );
  }

  // Seed through the doctor subgraph's own directory seeder (users in auth, profiles, read
  // copies and one workplace each in doctor), over plain pg connections.
  const pools = { auth: new pg.Pool({ connectionString: dbUrl.auth }), doctor: new pg.Pool({ connectionString: dbUrl.doctor }) };
  const asOrm = (pool: pg.Pool) => ({
    em: {
      getConnection: () => ({
        execute: (sql: string, params: unknown[] = []) => {
          let i = 0;
          return pool.query(
            sql.replace(/\?/g, () => `$${++i}`),
            params,
          );
        },
      }),
    },
  });
  await seedDirectory(
    { subgraphs: { auth: { orm: asOrm(pools.auth) }, doctor: { orm: asOrm(pools.doctor) } } } as never,
    DOCTORS,
    'bench',
  );
  await Promise.all([pools.auth.end(), pools.doctor.end()]);

  const urls = Object.fromEntries(SUBGRAPHS.map((n) => [n, url(port[n])])) as Record<Name, string>;
  const dir = path.join(root, 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  const supergraphPath = path.join(dir, 'directory-supergraph.graphql');
  writeFileSync(supergraphPath, await composeFromCode(subgraphs, urls));

  const gatewayEnv = (p: number, cache: boolean, dedupe = true) => ({
    ...common,
    GATEWAY_PORT: String(p),
    SUPERGRAPH_PATH: supergraphPath,
    AUTH_URL: urls.auth,
    DOCTOR_URL: urls.doctor,
    NOTIFICATION_URL: urls.notification,
    PHARMACY_URL: urls.pharmacy,
    RESPONSE_CACHE: String(cache),
    // Production requires a cache Redis (APQ store, response cache); the bench shares the job Redis.
    CACHE_REDIS_URL: REDIS_URL,
    SUBGRAPH_DEDUPE: String(dedupe),
    // One load generator on one address: the per-address rate limit would measure itself.
    RATE_LIMIT_ENABLED: 'false',
  });
  // BENCH_PROFILE=1 writes a V8 CPU profile of our gateway to bench/results/prof/.
  const profile = process.env.BENCH_PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${path.join(dir, 'prof')}`] : [];
  const gw = [...profile, '--import', './scripts/register.js', 'gateway/src/main.ts'];
  services.push(
    await startService('gateway', gw, gatewayEnv(port.gateway, false), url(port.gateway, '/health'), url(port.gateway)),
  );
  services.push(
    await startService(
      'gateway-no-dedupe',
      gw,
      gatewayEnv(port.nodedupe, false, false),
      url(port.nodedupe, '/health'),
      url(port.nodedupe),
    ),
  );
  services.push(
    await startService('gateway-cached', gw, gatewayEnv(port.cached, true), url(port.cached, '/health'), url(port.cached)),
  );
  const hiveBin = realpathSync(path.join(root, 'node_modules/.bin/hive-gateway'));
  services.push(
    await startService(
      'hive-gateway',
      // Its config signs subgraph requests like ours (subgraphs refuse anything else).
      [
        '--import',
        './scripts/register.js',
        hiveBin,
        'supergraph',
        supergraphPath,
        '--config-path',
        'bench/hive-gateway.config.ts',
        '--port',
        String(port.hive),
        '--host',
        '127.0.0.1',
        '--fork',
        '1',
      ],
      { NODE_ENV: 'production' },
      url(port.hive, '/healthcheck'),
      url(port.hive),
    ),
  );

  // Same answer everywhere before measuring anything.
  const ours = await postJson(url(port.gateway), body(DIRECTORY, 20));
  const hive = await postJson(url(port.hive), body(DIRECTORY, 20));
  const direct = await postJson(
    url(port.doctor),
    body(DIRECTORY_DIRECT, 20),
    gatewaySigned(url(port.doctor), body(DIRECTORY_DIRECT, 20)),
  );
  if (ours.errors || hive.errors || direct.errors)
    throw new Error(JSON.stringify({ ours: ours.errors, hive: hive.errors, direct: direct.errors }));
  const nodes = ours.data.doctors.nodes as { user: { name: string }; workplaces: unknown[] }[];
  if (nodes.length !== 20 || nodes.some((n) => !n.user?.name || n.workplaces.length === 0))
    throw new Error('directory answer incomplete');
  if (JSON.stringify(ours.data) !== JSON.stringify(hive.data)) throw new Error('Hive Gateway answered differently');

  // Warm-up: JIT, query-plan caches, connection pools.
  for (const target of [port.gateway, port.nodedupe, port.cached, port.hive])
    await load('warm', url(target), body(DIRECTORY, 20), { seconds: 2, connections: CONNECTIONS });
  await load('warm', url(port.doctor), body(DIRECTORY_DIRECT, 20), { seconds: 2, connections: CONNECTIONS, signed: true });

  // The exact answer each target gives, so a GraphQL error inside a 200 counts as an error.
  const reference = async (p: number, query: string) => {
    const sign = p === port.doctor ? gatewaySigned(url(p), body(query, 20)) : {};
    const res = await fetch(url(p), {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...sign },
      body: body(query, 20),
    });
    return res.text();
  };
  // What the gateway asks auth for: the 20 users by reference (the second hop of the plan).
  const userIds = (direct.data.doctors.nodes as { user: { id: string } }[]).map((n) => n.user.id);
  const entitiesBody = JSON.stringify({
    query: 'query Users($r: [_Any!]!) { _entities(representations: $r) { ... on User { name } } }',
    variables: { r: userIds.map((id) => ({ __typename: 'User', id })) },
  });
  const expected = {
    auth: await (
      await fetch(url(port.auth), {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...gatewaySigned(url(port.auth), entitiesBody) },
        body: entitiesBody,
      })
    ).text(),
    gateway: await reference(port.gateway, DIRECTORY),
    nodedupe: await reference(port.nodedupe, DIRECTORY),
    doctor: await reference(port.doctor, DIRECTORY_DIRECT),
    hive: await reference(port.hive, DIRECTORY),
    cached: await reference(port.cached, DIRECTORY),
  };
  const run = { seconds: SECONDS, connections: CONNECTIONS };
  // The peer comparison in interleaved rounds (BENCH_ROUNDS, default 5): background load drifts
  // during a run on a shared machine, and a target measured last must not pay for it alone.
  // Subgraph requests per gateway request are read from the doctor subgraph's counter.
  const doctorRequests = () => counter(url(port.doctor, '/metrics'), 'graphql_requests_total');
  const targets = [
    { name: '(a) our gateway', url: url(port.gateway), body: body(DIRECTORY, 20), expectBody: expected.gateway },
    { name: "(a') our gateway, dedupe off", url: url(port.nodedupe), body: body(DIRECTORY, 20), expectBody: expected.nodedupe },
    {
      name: '(b) doctor subgraph direct',
      url: url(port.doctor),
      body: body(DIRECTORY_DIRECT, 20),
      expectBody: expected.doctor,
      signed: true,
    },
    { name: 'auth _entities direct (hop 2)', url: url(port.auth), body: entitiesBody, expectBody: expected.auth, signed: true },
    { name: '(d) Hive Gateway', url: url(port.hive), body: body(DIRECTORY, 20), expectBody: expected.hive },
  ];
  const fanOut = async (target: (typeof targets)[number]) => {
    const before = await doctorRequests();
    const r = await load(target.name, target.url, target.body, { seconds: 2, connections: CONNECTIONS, signed: target.signed });
    return ((await doctorRequests()) - before) / r.requests;
  };
  const oursFetches = await fanOut(targets[0]);
  const hiveFetches = await fanOut(targets[4]);
  const results: LoadResult[] = await interleaved(targets, { ...run, rounds: ROUNDS });

  results.push(
    await load('our gateway, response cache on', url(port.cached), body(DIRECTORY, 20), { ...run, expectBody: expected.cached }),
  );
  results.push(
    await load('our gateway at 200 rps', url(port.gateway), body(DIRECTORY, 20), {
      ...run,
      rate: 200,
      expectBody: expected.gateway,
    }),
  );

  // (c) SQL statements per request, read from the subgraphs' own counters.
  const statementsPer = async (first: number) => {
    const read = async () => ({
      auth: await counter(url(port.auth, '/metrics'), 'db_statements_total'),
      doctor: await counter(url(port.doctor, '/metrics'), 'db_statements_total'),
    });
    const n = 50;
    const before = await read();
    for (let i = 0; i < n; i++) {
      const res = await postJson(url(port.gateway), body(DIRECTORY, first));
      if (res.errors) throw new Error(JSON.stringify(res.errors));
    }
    const after = await read();
    return { auth: (after.auth - before.auth) / n, doctor: (after.doctor - before.doctor) / n };
  };
  const st10 = await statementsPer(10);
  const st100 = await statementsPer(100);
  const s10 = (st10.auth + st10.doctor) * 50;
  const s100 = (st100.auth + st100.doctor) * 50;

  const [a, a2, b, , d, cached, fixed] = results;
  const summary = {
    date: new Date().toISOString(),
    machine: { cores: os.cpus().length, cpu: os.cpus()[0]?.model, node: process.version, loadAverageAfter: os.loadavg() },
    settings: { seconds: SECONDS, connections: CONNECTIONS, doctors: DOCTORS, rounds: ROUNDS },
    results: results.map(({ latencies: _latencies, ...r }) => r),
    ratioGatewayToDirect: a.rps / b.rps,
    ratioGatewayNoDedupeToDirect: a2.rps / b.rps,
    ratioOursToHive: a.rps / d.rps,
    statementsPerRequest: { first10: st10, first100: st100 },
    doctorFetchesPerRequest: { ours: oursFetches, hive: hiveFetches },
  };
  log('');
  log(table(results));
  log('');
  log(
    `gateway/direct RPS ratio      ${summary.ratioGatewayToDirect.toFixed(2)}   (target >= 0.6); with dedupe off ${summary.ratioGatewayNoDedupeToDirect.toFixed(2)}`,
  );
  log(`ours/Hive Gateway RPS ratio   ${summary.ratioOursToHive.toFixed(2)}   (target >= 1)`);
  log(`p95 at 200 rps                ${fixed.p95.toFixed(1)} ms (target < 50)`);
  log(
    `SQL statements per request    first:10 → ${(s10 / 50).toFixed(2)}, first:100 → ${(s100 / 50).toFixed(2)} (target: equal; auth ${st10.auth.toFixed(2)}/${st100.auth.toFixed(2)}, doctor ${st10.doctor.toFixed(2)}/${st100.doctor.toFixed(2)})`,
  );
  log(`doctor fetches per request     ours ${oursFetches.toFixed(2)}, Hive Gateway ${hiveFetches.toFixed(2)} (in-flight dedupe)`);
  log(`response cache on             ${cached.rps.toFixed(0)} rps (${(cached.rps / a.rps).toFixed(1)}x uncached)`);
  writeFileSync(path.join(dir, 'directory-latest.json'), JSON.stringify(summary, null, 2));
  log(`\nfull results: bench/results/directory-latest.json`);
}

try {
  await main();
} catch (error) {
  process.stderr.write(`bench failed: ${(error as Error).stack ?? error}\n`);
  process.exitCode = 1;
} finally {
  await cleanup();
}
