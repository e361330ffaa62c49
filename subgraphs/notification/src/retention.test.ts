import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { loadConfig, notificationEnv } from '@hc/config';
import { createOrm, outboxRetention, pruneOnce, type Orm } from '@hc/db';
import { createTestDatabase, type TestDatabase } from '@hc/testing';
import { migrations } from '../migrations/index.js';
import { notificationRetention } from './retention.js';

describe('retention (notification)', () => {
  let db: TestDatabase;
  let orm: Orm;
  beforeAll(async () => {
    db = await createTestDatabase('notification_retention');
    orm = await createOrm({ databaseUrl: db.url, entities: [], migrations, migrate: true });
  });
  afterAll(async () => {
    await orm?.close();
    await db?.drop();
  });

  it('blanks the address and provider error of finished messages past the age, keeps newer and unfinished ones', async () => {
    const conn = orm.em.getConnection();
    const add = (key: string, status: string, age: string) =>
      conn.execute(
        `insert into notifications (id, idempotency_key, user_id, template, channel, status, destination, error_message, created_at)
         values (?, ?, ?, 'order.confirmed', 'EMAIL', ?, 'pat@example.com', 'bounced', now() - ?::interval)`,
        [randomUUID(), key, randomUUID(), status, age],
      );
    await add('old-sent', 'SENT', '91 days');
    await add('old-failed', 'FAILED', '120 days');
    await add('old-queued', 'QUEUED', '120 days');
    await add('recent-sent', 'SENT', '89 days');
    const config = loadConfig(notificationEnv, { RETENTION_NOTIFICATION_DAYS: '90' });
    const counts = await pruneOnce(orm.em, [outboxRetention(7), ...notificationRetention(config)], 'retention:notification');
    expect(counts).toEqual({ outbox: 0, notifications: 2 });
    const rows = await conn.execute<{ idempotency_key: string; destination: string; error_message: string | null }[]>(
      `select idempotency_key, destination, error_message from notifications order by idempotency_key`,
    );
    expect(rows).toEqual([
      { idempotency_key: 'old-failed', destination: '', error_message: null },
      { idempotency_key: 'old-queued', destination: 'pat@example.com', error_message: 'bounced' },
      { idempotency_key: 'old-sent', destination: '', error_message: null },
      { idempotency_key: 'recent-sent', destination: 'pat@example.com', error_message: 'bounced' },
    ]);
    // The record itself stays (the user's history, the idempotency key that prevents a resend).
    expect(await pruneOnce(orm.em, notificationRetention(config), 'retention:notification')).toEqual({ notifications: 0 });
  });
});
