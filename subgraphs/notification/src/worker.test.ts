import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { MikroORM } from '@mikro-orm/postgresql';
import { ormConfig } from '@hc/db';
import { OutboxMessage, OUTBOX_TABLE_SQL, OutboxRelay, outbox } from '@hc/jobs';
import { createLogger } from '@hc/logger';
import { createTestDatabase, TEST_REDIS_URL } from '@hc/testing';
import { providerEnv, startFakes, startNotificationPipeline, waitFor, type Pipeline } from '../test/pipeline-harness.js';

const REGISTER = fileURLToPath(new URL('../../../scripts/register.js', import.meta.url));
const WORKER = fileURLToPath(new URL('./worker.ts', import.meta.url));

let fakes: Awaited<ReturnType<typeof startFakes>>;
let p: Pipeline;
const children: ChildProcess[] = [];

/** A standalone worker process (src/worker.ts), as deployed to scale out. */
async function startWorker(): Promise<ChildProcess & { exited: Promise<number | null>; output: () => string }> {
  const child = spawn(process.execPath, ['--import', REGISTER, WORKER], {
    env: {
      ...process.env,
      ...providerEnv(fakes),
      NODE_ENV: 'test',
      LOG_LEVEL: 'debug', // 'info' is lowered to 'warn' under NODE_ENV=test; the ready line is info
      DATABASE_URL: p.databaseUrl,
      MIGRATE_ON_START: 'false',
      REDIS_URL: TEST_REDIS_URL,
      REDIS_PREFIX: p.prefix,
      WORKER_CONCURRENCY: '2',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  let out = '';
  await new Promise<void>((resolve, reject) => {
    const onData = (d: Buffer) => {
      out += d.toString();
      if (out.includes('notification worker ready')) resolve();
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    void exited.then((code) => reject(new Error(`worker exited (${code}) before ready:\n${out}`)));
    setTimeout(() => reject(new Error(`worker not ready after 20 s:\n${out}`)), 20_000).unref();
  });
  return Object.assign(child, { exited, output: () => out });
}

beforeAll(async () => {
  fakes = await startFakes();
  // The subgraph runs without its in-process worker: only the processes below deliver.
  p = await startNotificationPipeline({ ...providerEnv(fakes), RUN_WORKER: 'false' });
});
afterAll(async () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  await p?.stop();
  await fakes?.stop();
});

async function knownUser() {
  const user = await p.userChanged({});
  return user;
}

describe('standalone worker processes', () => {
  it('worker killed mid-job: the job completes after restart, with at most one duplicate (crash after the provider accepted)', async () => {
    const first = await startWorker();
    const user = await knownUser();
    await p.contactKnown(user.userId);
    // Kill the worker after the SMTP server has the message and before the worker hears 250 (and marks SENT).
    let arrived!: () => void;
    const accepted = new Promise<void>((r) => (arrived = r));
    fakes.smtp.beforeReply = async (mail) => {
      if (mail.to !== user.email) return;
      fakes.smtp.beforeReply = undefined;
      arrived();
      await new Promise((r) => setTimeout(r, 1_000));
    };
    const req = await p.produce({ userId: user.userId, template: 'auth.account_exists', channel: 'EMAIL' });
    await accepted;
    first.kill('SIGKILL');
    await first.exited;

    const mid = await p.record(req.idempotencyKey);
    expect(mid).toMatchObject({ status: 'QUEUED', attempts: 1, leaseJobId: req.outboxId });

    const second = await startWorker();
    // BullMQ's stall check hands the job to the new worker once the dead worker's lock lapses (WORKER_LOCK_MS).
    const done = await p.waitForStatus(req.idempotencyKey, ['SENT'], 20_000);
    expect(done.attempts).toBe(2);
    expect(await (await p.queue.getJob(req.outboxId))?.getState()).toBe('completed');
    // Killed after the SMTP server accepted the data: the one documented duplicate.
    expect(fakes.smtp.received.filter((m) => m.to === user.email)).toHaveLength(2);

    second.kill('SIGTERM');
    expect(await second.exited).toBe(0);
  });

  it('worker killed before the provider accepted: the job completes after restart with no duplicate', async () => {
    const first = await startWorker();
    const user = await knownUser();
    await p.contactKnown(user.userId);
    let reached!: () => void;
    const atRcpt = new Promise<void>((r) => (reached = r));
    fakes.smtp.beforeRcpt = async (address) => {
      if (address !== user.email) return;
      fakes.smtp.beforeRcpt = undefined;
      reached();
      await new Promise((r) => setTimeout(r, 1_000));
    };
    const req = await p.produce({ userId: user.userId, template: 'auth.account_exists', channel: 'EMAIL' });
    await atRcpt;
    first.kill('SIGKILL');
    await first.exited;
    const second = await startWorker();
    const done = await p.waitForStatus(req.idempotencyKey, ['SENT'], 20_000);
    expect(done.attempts).toBe(2);
    expect(fakes.smtp.received.filter((m) => m.to === user.email)).toHaveLength(1);
    second.kill('SIGTERM');
    expect(await second.exited).toBe(0);
  });

  it('SIGTERM drains: the active job finishes, the process exits 0, nothing is left active or stalled', async () => {
    const worker = await startWorker();
    const user = await knownUser();
    await p.contactKnown(user.userId);
    let arrived!: () => void;
    const inFlight = new Promise<void>((r) => (arrived = r));
    fakes.smtp.beforeReply = async (mail) => {
      if (mail.to !== user.email) return;
      fakes.smtp.beforeReply = undefined;
      arrived();
      await new Promise((r) => setTimeout(r, 1_500));
    };
    const req = await p.produce({ userId: user.userId, template: 'auth.account_exists', channel: 'EMAIL' });
    await inFlight;
    worker.kill('SIGTERM');
    expect(await worker.exited).toBe(0);

    const record = await p.record(req.idempotencyKey);
    expect(record).toMatchObject({ status: 'SENT', attempts: 1 });
    expect(await (await p.queue.getJob(req.outboxId))?.getState()).toBe('completed');
    const counts = await p.queue.getJobCounts('active', 'waiting', 'failed');
    expect(counts).toMatchObject({ active: 0, waiting: 0, failed: 0 });
    expect(fakes.smtp.received.filter((m) => m.to === user.email)).toHaveLength(1);
  });

  it('an OTP code never reaches the worker log, even at debug level', async () => {
    const worker = await startWorker();
    const user = await knownUser();
    await p.contactKnown(user.userId);
    const code = '730194';
    const req = await p.produce({
      userId: user.userId,
      template: 'auth.otp',
      channel: 'EMAIL',
      variables: { code, expiresInMinutes: 10 },
      secretVariables: ['code'],
      critical: true,
    });
    await p.waitForStatus(req.idempotencyKey, ['SENT']);
    expect(fakes.smtp.received.find((m) => m.to === user.email)?.text).toContain(code);
    worker.kill('SIGTERM');
    expect(await worker.exited).toBe(0);
    expect(worker.output()).toContain('notification sent');
    expect(worker.output()).not.toContain(code);
  });

  it('two worker processes share the queue and each message is sent once', async () => {
    const workers = await Promise.all([startWorker(), startWorker()]);
    const user = await knownUser();
    await p.contactKnown(user.userId);
    const reqs = [];
    for (let i = 0; i < 20; i++)
      reqs.push(
        await p.produce({
          userId: user.userId,
          template: 'order.status_changed',
          channel: 'EMAIL',
          variables: { orderId: `o${i}`, status: 'PREPARING' },
        }),
      );
    // And the same logical message enqueued 8 times, racing across both processes.
    const key = `race-${randomUUID()}`;
    const dupes: { outboxId: string }[] = [];
    for (let i = 0; i < 8; i++)
      dupes.push(
        await p.produce({ idempotencyKey: key, userId: user.userId, template: 'auth.account_exists', channel: 'EMAIL' }),
      );
    await Promise.all(reqs.map((r) => p.waitForStatus(r.idempotencyKey, ['SENT'])));
    await p.waitForStatus(key, ['SENT']);
    await waitFor('every duplicate job finished', async () => {
      const states = await Promise.all(dupes.map(async (d) => (await p.queue.getJob(d.outboxId))?.getState()));
      return states.every((st) => st === 'completed');
    });
    expect(fakes.smtp.received.filter((m) => m.to === user.email)).toHaveLength(21);
    expect(fakes.smtp.received.filter((m) => m.to === user.email && m.subject === 'You already have an account')).toHaveLength(1);
    for (const w of workers) w.kill('SIGTERM');
    expect(await Promise.all(workers.map((w) => w.exited))).toEqual([0, 0]);
  });
});

describe('Redis unavailable while a producer commits', () => {
  it('the business write commits, the relay keeps the row, and the message arrives once Redis is reachable', async () => {
    const worker = await startWorker();
    const user = await knownUser();
    await p.contactKnown(user.userId);
    // A producing service of its own (another database), whose relay first sees Redis down.
    const db = await createTestDatabase('producer');
    const orm = await MikroORM.init(ormConfig({ databaseUrl: db.url, entities: [OutboxMessage], migrations: [] }));
    try {
      for (const sql of [...OUTBOX_TABLE_SQL, `create table orders (id uuid primary key)`])
        await orm.em.getConnection().execute(sql);
      const orderId = randomUUID();
      const key = `order:${orderId}:confirmed`;
      await orm.em.fork().transactional(async (em) => {
        await em.getConnection().execute(`insert into orders (id) values (?)`, [orderId], 'run', em.getTransactionContext());
        outbox.notify(em, {
          idempotencyKey: key,
          userId: user.userId,
          template: 'order.confirmed',
          channel: 'EMAIL',
          variables: { orderId, totalAmount: '12.50', pharmacyName: 'Corner Pharmacy' },
        });
      });
      const logger = createLogger('producer', { LOG_LEVEL: 'silent', NODE_ENV: 'test' });
      const down = new OutboxRelay({ orm, redisUrl: 'redis://127.0.0.1:1', prefix: p.prefix, logger, pollMs: 50 });
      down.start();
      await new Promise((r) => setTimeout(r, 1_000));
      await down.stop();
      const conn = orm.em.fork().getConnection();
      expect(await conn.execute(`select count(*)::int as n from orders where id = ?`, [orderId])).toEqual([{ n: 1 }]);
      expect(await conn.execute(`select count(*)::int as n from outbox where published_at is null`)).toEqual([{ n: 1 }]);
      expect(await p.record(key)).toBeNull();

      const up = new OutboxRelay({ orm, redisUrl: TEST_REDIS_URL, prefix: p.prefix, logger, pollMs: 50 });
      up.start();
      await p.waitForStatus(key, ['SENT']);
      await up.stop();
      expect(fakes.smtp.received.filter((m) => m.to === user.email && m.text.includes(orderId))).toHaveLength(1);
    } finally {
      await orm.close();
      await db.drop();
      worker.kill('SIGTERM');
      await worker.exited;
    }
  });
});
