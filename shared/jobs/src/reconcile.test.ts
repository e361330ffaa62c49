import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Queue } from 'bullmq';
import { MikroORM } from '@mikro-orm/postgresql';
import { createLogger } from '@hc/logger';
import { ensureDatabase, dropDatabase, ormConfig, withDatabase } from '@hc/db';
import {
  addToOutbox,
  OutboxMessage,
  OUTBOX_TABLE_SQL,
  OutboxReconciler,
  OutboxRelay,
  outbox,
  QUEUES,
  ReconcileLoop,
} from './index.js';

// Jobs are "lost" by removing them from a prefix of this file's own: the shared Redis is never flushed.
const server = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const redisUrl = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const url = withDatabase(server, `test_reconcile_${randomUUID().slice(0, 8)}`);
const prefix = `test:reconcile:${randomUUID().slice(0, 8)}`;
const logger = createLogger('jobs-test', { LOG_LEVEL: 'silent', NODE_ENV: 'test' });
let orm: MikroORM;
let relay: OutboxRelay;
let reconciler: OutboxReconciler;
const queues = new Map<string, Queue>();
const q = (name: string) => {
  if (!queues.has(name)) queues.set(name, new Queue(name, { connection: { url: redisUrl }, prefix }));
  return queues.get(name)!;
};

beforeAll(async () => {
  await ensureDatabase(url);
  orm = await MikroORM.init(ormConfig({ databaseUrl: url, entities: [OutboxMessage], migrations: [] }));
  for (const sql of OUTBOX_TABLE_SQL) await orm.em.getConnection().execute(sql);
  relay = new OutboxRelay({ orm, redisUrl, prefix, logger });
  reconciler = new OutboxReconciler({ orm, redisUrl, prefix, logger, intervalMs: 60_000, minAgeMs: 0, windowMs: 3_600_000 });
});
afterAll(async () => {
  await reconciler.stop();
  await relay.stop();
  for (const queue of queues.values()) {
    await queue.obliterate({ force: true });
    await queue.close();
  }
  await orm.close();
  await dropDatabase(url);
});

const commit = <T>(fn: (em: Parameters<Parameters<MikroORM['em']['transactional']>[0]>[0]) => T) =>
  orm.em.fork().transactional(async (em) => fn(em));

describe('outbox reconciler', () => {
  it('re-publishes rows whose jobs Redis lost, under the same ids and with their delays', async () => {
    const expiresAt = new Date(Date.now() + 3_600_000).toISOString();
    const expire = await commit((em) => addToOutbox(em, 'reservation.expire', { reservationId: randomUUID(), expiresAt }));
    const user = await commit((em) =>
      addToOutbox(em, 'user.changed', {
        userId: randomUUID(),
        name: 'A',
        email: 'a@example.com',
        phone: null,
        role: 'PATIENT',
        isVerified: true,
        updatedAt: new Date().toISOString(),
      }),
    );
    const kept = await commit((em) =>
      outbox.notify(em, { idempotencyKey: randomUUID(), userId: randomUUID(), template: 't', variables: {} }),
    );
    while ((await relay.tick()) > 0);
    expect(await reconciler.reconcile()).toBe(0);

    await (await q(QUEUES.pharmacyEvents).getJob(expire.id))!.remove();
    await (await q(QUEUES.doctorEvents).getJob(user.id))!.remove();
    await (await q(QUEUES.notificationEvents).getJob(user.id))!.remove();
    expect(await reconciler.reconcile()).toBe(3);

    const back = (await q(QUEUES.pharmacyEvents).getJob(expire.id))!;
    expect(await back.getState()).toBe('delayed');
    // Due at expiresAt (job.timestamp is taken a few ms after the delay was computed).
    expect(Math.abs(back.timestamp + back.delay - Date.parse(expiresAt))).toBeLessThan(1_000);
    expect(await q(QUEUES.doctorEvents).getJob(user.id)).toBeDefined();
    expect(await q(QUEUES.notificationEvents).getJob(user.id)).toBeDefined();
    expect(await q(QUEUES.notifications).getJob(kept.id)).toBeDefined();
    // user.changed's copy in pharmacy-events was never lost: still one job under that id.
    expect(await q(QUEUES.pharmacyEvents).getJob(user.id)).toBeDefined();
    expect(await reconciler.reconcile()).toBe(0);
  });

  it('leaves rows published before the window (their jobs finished or, for messages, were recorded)', async () => {
    const old = await commit((em) =>
      outbox.notify(em, { idempotencyKey: randomUUID(), userId: randomUUID(), template: 't', variables: {} }),
    );
    const reminder = await commit((em) =>
      outbox.notify(em, {
        idempotencyKey: randomUUID(),
        userId: randomUUID(),
        template: 't',
        variables: {},
        sendAt: new Date(Date.now() + 3 * 24 * 3_600_000).toISOString(),
      }),
    );
    while ((await relay.tick()) > 0);
    await orm.em
      .fork()
      .getConnection()
      .execute(`update outbox set published_at = now() - interval '2 days' where id in (?)`, [[old.id, reminder.id]]);
    await (await q(QUEUES.notifications).getJob(old.id))!.remove();
    await (await q(QUEUES.notifications).getJob(reminder.id))!.remove();

    expect(await reconciler.reconcile()).toBe(0);
    expect(await q(QUEUES.notifications).getJob(old.id)).toBeUndefined();
    expect(await q(QUEUES.notifications).getJob(reminder.id)).toBeUndefined();
  });

  it('runs in one process at a time (advisory lock per database)', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let runs = 0;
    const loop = (run: () => Promise<number>) =>
      new ReconcileLoop({ orm, lockKey: 'lock-test', intervalMs: 60_000, logger, run });
    const first = loop(async () => {
      runs += 1;
      await gate;
      return 0;
    });
    const second = loop(async () => {
      runs += 1;
      return 0;
    });
    const holding = first.runOnce();
    await new Promise((r) => setTimeout(r, 200));
    expect(await second.runOnce()).toBeNull();
    release();
    expect(await holding).toBe(0);
    // Free again once the holder's pass ended.
    expect(await second.runOnce()).toBe(0);
    expect(runs).toBe(2);
  });
});
