/**
 * Notification pipeline benchmark, end to end on this machine:
 *  1. messages per second from committed outbox rows to a local SMTP server (smtp-server), with
 *     1 and 2 standalone worker processes (src/worker.ts, WORKER_CONCURRENCY each);
 *  2. a producer's write latency (p50/p95): the business transaction alone versus the same
 *     transaction plus its outbox row (what every mutation that notifies pays).
 * Then each worker process's RSS (read before it stops) and the targets with ✔/✘ (docs/performance.md).
 * Every wait is bounded (BENCH_TIMEOUT_SECONDS=30 per throughput run), so the defaults stay near 90 s: a stuck pipeline fails the run.
 * Run: npm run bench:notifications  (env: BENCH_MESSAGES=500, BENCH_CONCURRENCY=10, BENCH_WRITES=500)
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { MikroORM } from '@mikro-orm/postgresql';
import { Queue } from 'bullmq';
import { createOrm, ormConfig } from '@hc/db';
import { createLogger } from '@hc/logger';
import { outbox, OutboxMessage, OutboxRelay, OUTBOX_TABLE_SQL, QUEUES } from '@hc/jobs';
import { createTestDatabase, TEST_REDIS_URL, testRedisPrefix } from '@hc/testing';
import { startFakeSmtp } from '@hc/notification-subgraph/testing';
import { entities, migrations } from '@hc/notification-subgraph/entities';
import { loadAverage, percentile as pct, root, rssReport, selfRssReport, targetsReport } from './harness.js';
import { NODE_FLAGS } from '../scripts/node-flags.ts';

const MESSAGES = Number(process.env.BENCH_MESSAGES ?? 500);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 10);
const WRITES = Number(process.env.BENCH_WRITES ?? 500);
const TIMEOUT_SECONDS = Number(process.env.BENCH_TIMEOUT_SECONDS ?? 30);
process.stdout.write(`bench:notifications: load average at start ${loadAverage()}\n`);
const logger = createLogger('bench', { LOG_LEVEL: 'silent', NODE_ENV: 'test' });

function startWorker(env: Record<string, string>): Promise<ChildProcess> {
  const child = spawn(
    process.execPath,
    [...NODE_FLAGS, '--import', './scripts/register.js', 'subgraphs/notification/src/worker.ts'],
    {
      cwd: root,
      env: { ...process.env, ...env, LOG_LEVEL: 'debug' },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out = (out + d.toString()).slice(-4000);
      if (out.includes('notification worker ready')) resolve(child);
    });
    child.stderr!.on('data', (d: Buffer) => (out = (out + d.toString()).slice(-4000)));
    child.once('exit', (code) => reject(new Error(`worker exited ${code}:\n${out}`)));
  });
}

const stop = (c: ChildProcess) =>
  new Promise<void>((r) => (c.exitCode !== null ? r() : (c.once('exit', () => r()), c.kill('SIGTERM'))));

async function throughput(workers: number) {
  const smtp = await startFakeSmtp();
  const db = await createTestDatabase('bench_notif');
  const prefix = testRedisPrefix('bench');
  // The notification database (migrated) doubles as the producer: its outbox is relayed like any service's.
  const orm = await createOrm({ databaseUrl: db.url, entities, migrations, migrate: true, logger });
  const userIds = Array.from({ length: 50 }, () => randomUUID());
  for (const id of userIds)
    await orm.em
      .getConnection()
      .execute(
        `insert into contacts (user_id, name, email, phone, role, updated_at) values (?, 'Bench User', ?, null, 'PATIENT', now())`,
        [id, `${id}@example.com`],
      );
  const { seedDefaultTemplates } = await import('@hc/notification-subgraph/templates');
  await seedDefaultTemplates(orm.em.fork());
  const env = {
    NODE_ENV: 'test',
    DATABASE_URL: db.url,
    MIGRATE_ON_START: 'false',
    REDIS_URL: TEST_REDIS_URL,
    REDIS_PREFIX: prefix,
    SMTP_URL: smtp.url,
    WORKER_CONCURRENCY: String(CONCURRENCY),
  };
  const children = await Promise.all(Array.from({ length: workers }, () => startWorker(env)));

  const em = orm.em.fork();
  for (let i = 0; i < MESSAGES; i++) {
    outbox.notify(em, {
      idempotencyKey: `bench:${i}`,
      userId: userIds[i % userIds.length]!,
      template: 'order.status_changed',
      channel: 'EMAIL',
      variables: { orderId: `o-${i}`, status: 'PREPARING' },
    });
  }
  await em.flush();
  const started = performance.now();
  const relay = new OutboxRelay({ orm, redisUrl: TEST_REDIS_URL, prefix, logger, batchSize: 200 });
  relay.start();
  const deadline = Date.now() + TIMEOUT_SECONDS * 1000;
  // The time to 95 % as well: one job BullMQ finds stalled (its worker starved of CPU) comes back only after its stalled check.
  let seconds95 = NaN;
  while (smtp.received.length < MESSAGES && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 20));
    if (Number.isNaN(seconds95) && smtp.received.length >= 0.95 * MESSAGES) seconds95 = (performance.now() - started) / 1000;
  }
  const seconds = (performance.now() - started) / 1000;
  const rss = rssReport(children.map((child, i) => ({ name: `worker ${i + 1}/${workers}`, child })));
  await relay.stop();
  // The last records are marked SENT just after the SMTP server has the message.
  const countSent = async () =>
    ((await orm.em.getConnection().execute(`select count(*)::int as n from notifications where status = 'SENT'`))[0]?.n ??
      0) as number;
  const sentBy = Date.now() + 10_000;
  while ((await countSent()) < MESSAGES && Date.now() < sentBy) await new Promise((r) => setTimeout(r, 50));
  const sent = { n: await countSent() };

  await Promise.all(children.map(stop));
  const queue = new Queue(QUEUES.notifications, { connection: { url: TEST_REDIS_URL }, prefix });
  await queue.obliterate({ force: true });
  await queue.close();
  await orm.close();
  await db.drop();
  await smtp.stop();
  const received = smtp.received.length;
  return {
    workers,
    seconds,
    perSecond: received / seconds,
    perSecond95: (0.95 * MESSAGES) / seconds95,
    received,
    sentRows: sent.n as number,
    rss,
  };
}

async function producerLatency() {
  const db = await createTestDatabase('bench_producer');
  const orm = await MikroORM.init(ormConfig({ databaseUrl: db.url, entities: [OutboxMessage], migrations: [] }));
  for (const sql of [
    ...OUTBOX_TABLE_SQL,
    `create table orders (id uuid primary key, total numeric(12,2) not null, created_at timestamptz not null default now())`,
  ])
    await orm.em.getConnection().execute(sql);
  const run = async (withOutbox: boolean) => {
    const times: number[] = [];
    for (let i = 0; i < WRITES; i++) {
      const t0 = performance.now();
      await orm.em.fork().transactional(async (em) => {
        const id = randomUUID();
        await em
          .getConnection()
          .execute(`insert into orders (id, total) values (?, 12.50)`, [id], 'run', em.getTransactionContext());
        if (withOutbox)
          outbox.notify(em, {
            idempotencyKey: `order:${id}:confirmed`,
            userId: randomUUID(),
            template: 'order.confirmed',
            variables: { orderId: id, totalAmount: '12.50', pharmacyName: 'Bench' },
          });
      });
      times.push(performance.now() - t0);
    }
    times.sort((a, b) => a - b);
    return { p50: pct(times, 50), p95: pct(times, 95) };
  };
  await run(false); // warm-up
  const without = await run(false);
  const withOutbox = await run(true);
  await orm.close();
  await db.drop();
  return { without, withOutbox };
}

const results = [await throughput(1), await throughput(2)];
const latency = await producerLatency();
const ms = (n: number) => `${n.toFixed(2)} ms`;
process.stdout.write(`\nNotification pipeline (${MESSAGES} emails, WORKER_CONCURRENCY=${CONCURRENCY}, local SMTP server)\n`);
for (const r of results)
  process.stdout.write(
    `  ${r.workers} worker process(es): ${r.perSecond.toFixed(0)} msg/s  (${r.seconds.toFixed(2)} s; SMTP received ${r.received}, SENT rows ${r.sentRows}); first 95 %: ${r.perSecond95.toFixed(0)} msg/s\n`,
  );
process.stdout.write(`\nProducer write latency over ${WRITES} sequential transactions (business insert ± outbox row)\n`);
process.stdout.write(`  without outbox: p50 ${ms(latency.without.p50)}  p95 ${ms(latency.without.p95)}\n`);
process.stdout.write(`  with outbox:    p50 ${ms(latency.withOutbox.p50)}  p95 ${ms(latency.withOutbox.p95)}\n`);
process.stdout.write(
  `\nRSS (worker processes before they stopped; the relay and producer ran in this process):\n${results.map((r) => r.rss).join('\n')}\n${selfRssReport('bench + relay')}\nload average now: ${loadAverage()}\n`,
);
const [one, two] = results;
const targets = [
  {
    name: 'messages/s, 1 worker',
    value: `${one.perSecond.toFixed(0)}/s`,
    goal: '≥ 100/s',
    ok: one.perSecond >= 100,
  },
  {
    name: 'messages/s per worker, 2 workers',
    value: `${(two.perSecond / 2).toFixed(0)}/s (total ${two.perSecond.toFixed(0)}/s)`,
    goal: '≥ 80/s',
    ok: two.perSecond / 2 >= 80,
  },
  {
    name: 'every message delivered once and marked SENT',
    value: results.map((r) => `${r.received} received / ${r.sentRows} SENT`).join(', '),
    goal: `${MESSAGES} / ${MESSAGES} each`,
    ok: results.every((r) => r.received === MESSAGES && r.sentRows === MESSAGES),
  },
  {
    name: 'outbox row added to a write, p95',
    value: ms(latency.withOutbox.p95 - latency.without.p95),
    goal: '< 2 ms',
    ok: latency.withOutbox.p95 - latency.without.p95 < 2,
  },
];
process.stdout.write(`\n${targetsReport(targets)}\n`);
process.exit(targets[2].ok ? 0 : 1);
