// npm run bench:embedded-db — what the embedded default costs: start-up of one PGlite database
// (fresh and existing data), and statements/s through the wire-protocol socket compared with the
// PostgreSQL server (skipped when none answers), for point reads and short write transactions.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { dropDatabase, ensureDatabase, withDatabase } from '@hc/db';
import { startEmbeddedPostgres } from './postgres.ts';
import { probePostgres } from './decide.ts';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 10);

async function workload(url: string) {
  const pool = new pg.Pool({ connectionString: url, max: CONNECTIONS });
  pool.on('error', () => undefined); // DROP DATABASE ... WITH (FORCE) ends idle sockets after the run
  await pool.query('drop table if exists bench_items');
  await pool.query('create table bench_items (id int primary key, name text not null, qty int not null)');
  await pool.query(`insert into bench_items select g, 'item ' || g, 100 from generate_series(1, 10000) g`);
  const run = async (label: string, op: (c: pg.PoolClient, i: number) => Promise<unknown>) => {
    let count = 0;
    const until = Date.now() + SECONDS * 1000;
    await Promise.all(
      Array.from({ length: CONNECTIONS }, async (_, w) => {
        const c = await pool.connect();
        try {
          for (let i = w; Date.now() < until; i += CONNECTIONS) {
            await op(c, i);
            count++;
          }
        } finally {
          c.release();
        }
      }),
    );
    return { label, perSecond: Math.round(count / SECONDS) };
  };
  const results = [
    await run('point read (select by id, 1 param)', (c, i) =>
      c.query('select name, qty from bench_items where id = $1', [(i % 10000) + 1]),
    ),
    await run('write tx (begin; update; commit)', async (c, i) => {
      await c.query('begin');
      await c.query('update bench_items set qty = qty - 1 where id = $1 and qty > 0', [(i % 10000) + 1]);
      await c.query('commit');
    }),
  ];
  await pool.query('drop table bench_items');
  await pool.end();
  return results;
}

const dir = mkdtempSync(path.join(tmpdir(), 'hc-bench-pglite-'));
try {
  let t = Date.now();
  let embedded = await startEmbeddedPostgres({ names: ['bench'], dataDir: dir, basePort: 0 });
  const fresh = Date.now() - t;
  await embedded.stop();
  t = Date.now();
  embedded = await startEmbeddedPostgres({ names: ['bench'], dataDir: dir, basePort: 0 });
  const existing = Date.now() - t;
  console.log(`PGlite start-up: ${fresh} ms with a fresh data dir (initdb), ${existing} ms with existing data`);
  console.log(`${CONNECTIONS} connections, ${SECONDS} s per workload`);
  for (const r of await workload(embedded.databases.bench.url)) console.log(`  PGlite      ${r.label}: ${r.perSecond}/s`);
  await embedded.stop();

  const server = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  if (await probePostgres(server)) {
    console.log('  PostgreSQL  (no server answers; skipped)');
  } else {
    const url = withDatabase(server, `bench_embedded_${process.pid}`);
    await ensureDatabase(url);
    try {
      for (const r of await workload(url)) console.log(`  PostgreSQL  ${r.label}: ${r.perSecond}/s`);
    } finally {
      await dropDatabase(url);
    }
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
