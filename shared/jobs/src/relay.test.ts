import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Queue } from 'bullmq';
import { MikroORM } from '@mikro-orm/postgresql';
import { createLogger } from '@hc/logger';
import { ensureDatabase, dropDatabase, ormConfig, withDatabase } from '@hc/db';
import {
  NOTIFICATION_BACKOFF_TYPE,
  NOTIFICATION_MAX_ATTEMPTS,
  OutboxMessage,
  OUTBOX_TABLE_SQL,
  OutboxRelay,
  outbox,
  QUEUES,
  REDACTED,
} from './index.js';

const server = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const redisUrl = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const url = withDatabase(server, `test_jobs_${randomUUID().slice(0, 8)}`);
const prefix = `test:jobs:${randomUUID().slice(0, 8)}`;
const logger = createLogger('jobs-test', { LOG_LEVEL: 'silent', NODE_ENV: 'test' });
let orm: MikroORM;
let queue: Queue;

const request = (key: string) => ({
  idempotencyKey: key,
  userId: randomUUID(),
  template: 'auth.otp',
  variables: { code: '123456' },
});

beforeAll(async () => {
  await ensureDatabase(url);
  orm = await MikroORM.init(ormConfig({ databaseUrl: url, entities: [OutboxMessage], migrations: [] }));
  for (const sql of OUTBOX_TABLE_SQL) await orm.em.getConnection().execute(sql);
  queue = new Queue(QUEUES.notifications, { connection: { url: redisUrl }, prefix });
});
afterAll(async () => {
  await queue.obliterate({ force: true });
  await queue.close();
  await orm.close();
  await dropDatabase(url);
});

describe('transactional outbox', () => {
  it('writes nothing when the business transaction rolls back', async () => {
    await expect(
      orm.em.fork().transactional(async (em) => {
        outbox.notify(em, request('rolled-back'));
        await em.flush();
        throw new Error('business rule failed');
      }),
    ).rejects.toThrow('business rule failed');
    const count = await orm.em.fork().count(OutboxMessage, { topic: 'notification.send' });
    expect(count).toBe(0);
  });

  it('keeps committed rows while Redis is unreachable, then publishes them once it is back', async () => {
    await orm.em.fork().transactional(async (em) => {
      outbox.notify(em, request('while-down'));
    });
    const down = new OutboxRelay({ orm, redisUrl: 'redis://127.0.0.1:1', prefix, logger });
    await expect(down.tick()).rejects.toThrow(/publish failed/);
    await down.stop();
    const pending = await orm.em.fork().count(OutboxMessage, { publishedAt: null });
    expect(pending).toBe(1);

    const up = new OutboxRelay({ orm, redisUrl, prefix, logger });
    expect(await up.tick()).toBe(1);
    await up.stop();
    const jobs = await queue.getJobs(['waiting', 'delayed']);
    expect(jobs.map((j) => j.data.idempotencyKey)).toContain('while-down');
  });

  it('keeps secret variables in the queue only: the published outbox row is redacted', async () => {
    const row = await orm.em.fork().transactional(async (em) =>
      outbox.notify(em, {
        ...request('secret'),
        variables: { code: '987654', expiresInMinutes: 10 },
        secretVariables: ['code'],
      }),
    );
    const relay = new OutboxRelay({ orm, redisUrl, prefix, logger });
    while ((await relay.tick()) > 0);
    await relay.stop();
    const [stored] = await orm.em.fork().getConnection().execute(`select payload from outbox where id = ?`, [row.id]);
    expect(stored.payload.variables).toEqual({ code: REDACTED, expiresInMinutes: 10 });
    const job = await queue.getJob(row.id);
    expect(job?.data.variables.code).toBe('987654');
    expect(job?.opts.attempts).toBe(NOTIFICATION_MAX_ATTEMPTS);
    expect(job?.opts.backoff).toEqual({ type: NOTIFICATION_BACKOFF_TYPE });
  });

  it('publishes every row exactly once with several relays racing', async () => {
    await queue.obliterate({ force: true });
    const em = orm.em.fork();
    const ids: string[] = [];
    for (let i = 0; i < 60; i++) ids.push(outbox.notify(em, request(`race-${i}`)).id);
    await em.flush();

    const relays = [1, 2, 3].map(() => new OutboxRelay({ orm, redisUrl, prefix, logger, batchSize: 7 }));
    let total = 0;
    for (;;) {
      const published = await Promise.all(relays.map((r) => r.tick()));
      const sum = published.reduce((a, b) => a + b, 0);
      total += sum;
      if (sum === 0) break;
    }
    await Promise.all(relays.map((r) => r.stop()));
    expect(total).toBe(60);
    const jobs = await queue.getJobs(['waiting', 'delayed']);
    expect(jobs).toHaveLength(60);
    expect(new Set(jobs.map((j) => j.id))).toEqual(new Set(ids));
  });
});
