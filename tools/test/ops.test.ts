// Operator commands against the real Redis (a prefix of their own) and real key files.
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Queue, Worker, type Job } from 'bullmq';
import { Redis } from 'ioredis';
import { QUEUES } from '@hc/jobs';
import { KeyStore } from '../../subgraphs/auth/src/modules/keys/key-store.ts';
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
