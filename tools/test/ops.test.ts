// Operator commands against the real Redis (a prefix of their own) and real key files.
import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Queue, Worker, type Job } from 'bullmq';
import { Redis } from 'ioredis';
import pg from 'pg';
import { createOrm, dropDatabase, withDatabase } from '@hc/db';
import { QUEUES } from '@hc/jobs';
import { migrations as notificationMigrations } from '@hc/notification-subgraph/migrations';
import { KeyStore } from '@hc/auth-subgraph/admin';
import { queueStates, replayFailed } from '../../scripts/ops/queues.ts';
import { rotateKeys } from '../../scripts/ops/rotate-keys.ts';

const redisUrl = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

describe('queue state and replay of failed jobs', () => {
  const prefix = `test:ops:${randomUUID().slice(0, 8)}`;
  const connection = new Redis(redisUrl, { maxRetriesPerRequest: null });
  const queue = new Queue(QUEUES.notifications, { connection, prefix });
  let failing = true;
  const processed: string[] = [];
  let worker: Worker;

  const waitFor = async (check: () => Promise<boolean>) => {
    for (let i = 0; i < 100 && !(await check()); i++) await new Promise((r) => setTimeout(r, 50));
  };

  beforeAll(async () => {
    worker = new Worker(
      QUEUES.notifications,
      async (job: Job) => {
        if (failing) throw new Error(`provider down for ${job.id}`);
        processed.push(String(job.id));
      },
      { connection, prefix },
    );
    await queue.add(
      'notification.send',
      { idempotencyKey: 'a', userId: 'u1', template: 'order.confirmed', variables: { note: 'private' } },
      { jobId: 'job-a', attempts: 1 },
    );
    await queue.add(
      'notification.send',
      { idempotencyKey: 'b', userId: 'u2', template: 'auth.otp', variables: {}, secretVariables: ['code'] },
      { jobId: 'job-b', attempts: 1 },
    );
    await waitFor(async () => (await queue.getFailedCount()) === 2);
  });

  afterAll(async () => {
    await worker.close();
    await queue.obliterate({ force: true });
    await queue.close();
    connection.disconnect();
  });

  it('lists counts per queue and the latest failures without job payloads', async () => {
    const states = await queueStates({ redisUrl, prefix });
    expect(states.map((s) => s.queue).sort()).toEqual(Object.values(QUEUES).sort());
    const notifications = states.find((s) => s.queue === QUEUES.notifications)!;
    expect(notifications.counts.failed).toBe(2);
    expect(notifications.recentFailures.map((f) => f.id).sort()).toEqual(['job-a', 'job-b']);
    expect(notifications.recentFailures[0].failedReason).toMatch(/^provider down for job-/);
    expect(JSON.stringify(states)).not.toContain('private');
  });

  it('a dry run changes nothing', async () => {
    const result = await replayFailed({ redisUrl, prefix, queue: QUEUES.notifications, dryRun: true });
    expect(result.replayed.sort()).toEqual(['job-a', 'job-b']);
    expect(await queue.getFailedCount()).toBe(2);
  });

  it('moves failed jobs back with fresh attempts, except those the veto keeps', async () => {
    failing = false;
    const result = await replayFailed({
      redisUrl,
      prefix,
      queue: QUEUES.notifications,
      beforeRetry: async (job) => (job.data.secretVariables?.length ? 'carries a one-time code' : null),
    });
    expect(result.replayed).toEqual(['job-a']);
    expect(result.skipped).toEqual([{ id: 'job-b', reason: 'carries a one-time code' }]);
    await waitFor(async () => processed.includes('job-a'));
    expect(processed).toEqual(['job-a']);
    expect(await (await queue.getJob('job-a'))!.isCompleted()).toBe(true);
    expect(await queue.getFailedCount()).toBe(1);
  });

  it('names unknown queues and unknown job ids', async () => {
    await expect(replayFailed({ redisUrl, prefix, queue: 'nope' })).rejects.toThrow(
      /unknown queue "nope"; queues: notifications/,
    );
    const result = await replayFailed({ redisUrl, prefix, queue: QUEUES.notifications, ids: ['missing'] });
    expect(result).toEqual({ queue: QUEUES.notifications, replayed: [], skipped: [{ id: 'missing', reason: 'no such job' }] });
  });
});

describe('signing key rotation', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'hc-keys-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('retires the active key (still published) and signs with a new one', () => {
    const first = rotateKeys({ dir });
    expect(first.retired).toBeNull();
    const oldPem = readFileSync(first.active, 'utf8');
    const before = KeyStore.load({ dir, production: false });

    const at = new Date('2026-11-24T12:00:00.000Z');
    const second = rotateKeys({ dir, now: at });
    expect(path.basename(second.retired!)).toBe('retired-2026-11-24T12-00-00-000Z.pem');
    expect(readFileSync(second.retired!, 'utf8')).toBe(oldPem);

    const after = KeyStore.load({ dir, production: false });
    expect(after.active.kid).not.toBe(before.active.kid);
    expect(after.retired.map((k) => k.kid)).toEqual([before.active.kid]);
    expect(after.jwks().keys.map((k) => k.kid)).toEqual([after.active.kid, before.active.kid]);
  });

  it('--prune deletes retired keys older than an access-token lifetime, keeps others', () => {
    writeFileSync(path.join(dir, 'retired-by-hand.pem'), readFileSync(path.join(dir, 'active.pem')));
    const result = rotateKeys({ dir, now: new Date('2026-11-24T13:00:00.000Z'), pruneOlderThanSeconds: 900 });
    expect(result.pruned).toEqual(['retired-2026-11-24T12-00-00-000Z.pem']);
    expect(readdirSync(dir).sort()).toEqual(['active.pem', 'retired-2026-11-24T13-00-00-000Z.pem', 'retired-by-hand.pem']);
  });
});

describe('npm run ops:replay (the command, against a notification database)', () => {
  const server = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const dbUrl = withDatabase(server, `test_tools_replay_${randomUUID().slice(0, 8)}`);
  const prefix = `test:replay:${randomUUID().slice(0, 8)}`;
  const connection = new Redis(redisUrl, { maxRetriesPerRequest: null });
  const queue = new Queue(QUEUES.notifications, { connection, prefix });
  const keys = { failed: `k-${randomUUID()}`, sent: `k-${randomUUID()}`, otp: `k-${randomUUID()}` };

  beforeAll(async () => {
    const orm = await createOrm({ databaseUrl: dbUrl, entities: [], migrations: notificationMigrations, migrate: true });
    const conn = orm.em.getConnection();
    for (const [key, status] of [
      [keys.failed, 'FAILED'],
      [keys.sent, 'SENT'],
      [keys.otp, 'FAILED'],
    ]) {
      await conn.execute(
        `insert into notifications (id, idempotency_key, user_id, template, channel, status, error_message) values (?, ?, ?, 'order.confirmed', 'EMAIL', ?, 'smtp down')`,
        [randomUUID(), key, randomUUID(), status],
      );
    }
    await orm.close();
    const worker = new Worker(
      QUEUES.notifications,
      async () => {
        throw new Error('smtp down');
      },
      { connection, prefix },
    );
    await queue.add(
      'notification.send',
      { idempotencyKey: keys.failed, userId: 'u', template: 'order.confirmed', variables: {} },
      { jobId: 'job-failed', attempts: 1 },
    );
    await queue.add(
      'notification.send',
      { idempotencyKey: keys.sent, userId: 'u', template: 'order.confirmed', variables: {} },
      { jobId: 'job-sent', attempts: 1 },
    );
    await queue.add(
      'notification.send',
      {
        idempotencyKey: keys.otp,
        userId: 'u',
        template: 'auth.otp',
        variables: { code: '[redacted]' },
        secretVariables: ['code'],
      },
      { jobId: 'job-otp', attempts: 1 },
    );
    for (let i = 0; i < 100 && (await queue.getFailedCount()) < 3; i++) await new Promise((r) => setTimeout(r, 50));
    await worker.close();
  });

  afterAll(async () => {
    await queue.obliterate({ force: true });
    await queue.close();
    connection.disconnect();
    await dropDatabase(dbUrl);
  });

  it('reopens the FAILED delivery record, retries the job, and leaves sent messages and one-time codes alone', async () => {
    const run = spawnSync(process.execPath, ['--import', './scripts/register.js', 'scripts/ops/replay-failed.ts'], {
      cwd: path.resolve(import.meta.dirname, '../..'),
      env: {
        ...process.env,
        REDIS_URL: redisUrl,
        REDIS_PREFIX: prefix,
        NOTIFICATION_DATABASE_URL: dbUrl,
        DATA_DIR: mkdtempSync(path.join(tmpdir(), 'hc-ops-')),
      },
      encoding: 'utf8',
    });
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(run.stdout).toContain('notifications: replayed 1 job(s): job-failed');
    expect(run.stdout).toContain('skipped job-sent: delivery record is SENT');
    expect(run.stdout).toContain('skipped job-otp: carries a one-time code');

    expect(await (await queue.getJob('job-failed'))!.getState()).toBe('waiting');
    expect(await (await queue.getJob('job-sent'))!.getState()).toBe('failed');
    const client = new pg.Client({ connectionString: dbUrl });
    await client.connect();
    const { rows } = await client.query('select idempotency_key as key, status, error_message from notifications');
    await client.end();
    const byKey = Object.fromEntries(rows.map((r) => [r.key, r]));
    expect(byKey[keys.failed]).toMatchObject({ status: 'QUEUED', error_message: null });
    expect(byKey[keys.sent].status).toBe('SENT');
    expect(byKey[keys.otp].status).toBe('FAILED');
  });
});
