import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { Redis } from 'ioredis';
import { register } from 'prom-client';
import { startRedisServer, type RedisProcess } from '@hc/testing';
import { startFakes, providerEnv, startNotificationPipeline, waitFor, type Pipeline } from '../../../test/pipeline-harness.js';

// Redis loses every job (FLUSHALL on a private redis-server: the shared one is never flushed);
// the reconcilers rebuild them from the databases and each message still goes out once, on time.
type Produced = Awaited<ReturnType<Pipeline['produce']>>;

let redis: RedisProcess;
let fakes: Awaited<ReturnType<typeof startFakes>>;
let p: Pipeline;

beforeAll(async () => {
  redis = await startRedisServer();
  fakes = await startFakes();
  p = await startNotificationPipeline({
    ...providerEnv(fakes),
    REDIS_URL: redis.url,
    RECONCILE_INTERVAL_SECONDS: '1',
    RECONCILE_MIN_AGE_SECONDS: '1',
  });
}, 30_000);
afterAll(async () => {
  await p?.stop();
  await fakes?.stop();
  await redis?.stop();
});

const reconciled = async () =>
  ((await register.getSingleMetric('jobs_reconciled_total')?.get())?.values ?? []).reduce((n, v) => n + v.value, 0);

it('re-enqueues 20 scheduled and 10 waiting messages after FLUSHALL; each is sent once, at its time', async () => {
  const users: Awaited<ReturnType<Pipeline['userChanged']>>[] = [];
  for (let i = 0; i < 30; i++) users.push(await p.userChanged({ email: `user${i}.reconcile@example.com`, phone: null }));
  for (const u of users) await p.contactKnown(u.userId);

  const sendAt = new Date(Date.now() + 9_000).toISOString();
  const reminders: Produced[] = [];
  for (const u of users.slice(0, 20))
    reminders.push(
      await p.produce({ userId: u.userId, template: 'appointment.booked', channel: 'EMAIL', sendAt, variables: vars }),
    );
  // Recorded QUEUED by the worker and waiting in BullMQ's delayed set.
  for (const r of reminders) await p.waitForStatus(r.idempotencyKey, ['QUEUED']);
  await waitFor('20 delayed jobs', async () => (await p.queue.getDelayedCount()) === 20);

  // The other 10 wait in the queue: published by the relay, not yet taken by a worker.
  await p.queue.pause();
  const waiting: Produced[] = [];
  for (const u of users.slice(20))
    waiting.push(await p.produce({ userId: u.userId, template: 'appointment.booked', channel: 'EMAIL', variables: vars }));
  await waitFor('10 published', async () => {
    const [row] = await p.orm.em
      .fork()
      .getConnection()
      .execute(`select count(*)::int as n from outbox where id in (?) and published_at is not null`, [
        waiting.map((w) => w.outboxId),
      ]);
    return row.n === 10;
  });
  expect(await p.queue.getWaitingCount()).toBe(10);
  expect(fakes.smtp.received).toHaveLength(0);

  const before = await reconciled();
  const admin = new Redis(redis.url);
  await admin.flushall();
  admin.disconnect();

  const all = [...reminders, ...waiting];
  for (const r of all) await p.waitForStatus(r.idempotencyKey, ['SENT'], 30_000);
  // Late duplicates would arrive within a few reconcile rounds.
  await new Promise((r) => setTimeout(r, 3_000));

  const byRecipient = new Map<string, number>();
  for (const m of fakes.smtp.received) byRecipient.set(m.to, (byRecipient.get(m.to) ?? 0) + 1);
  expect(fakes.smtp.received).toHaveLength(30);
  expect([...byRecipient.values()].every((n) => n === 1)).toBe(true);
  for (const u of users) expect(byRecipient.get(u.email)).toBe(1);

  // Reminders at their time (the worker allows 250 ms early), not early because of the re-enqueue.
  for (const r of reminders) {
    const record = (await p.record(r.idempotencyKey))!;
    expect(record.sentAt!.getTime()).toBeGreaterThanOrEqual(Date.parse(sendAt) - 250);
    expect(record.sentAt!.getTime()).toBeLessThan(Date.parse(sendAt) + 5_000);
    expect(record.attempts).toBe(1);
  }
  // The pending copy of the request is gone once the message is final.
  const [left] = await p.orm.em
    .fork()
    .getConnection()
    .execute(`select count(*)::int as n from notifications where request is not null`);
  expect(left.n).toBe(0);
  expect((await reconciled()) - before).toBeGreaterThanOrEqual(30);
  // Served on the subgraph's /metrics with its own series.
  const metrics = await (await fetch(p.sub.graphqlUrl.replace(/\/graphql$/, '/metrics'))).text();
  expect(metrics).toMatch(/^jobs_reconciled_total\{source="notifications",queue="notifications"\} [1-9]/m);
  expect(metrics).toMatch(/^jobs_reconciled_total\{source="outbox",queue="notifications"\} [1-9]/m);
  expect(metrics).toContain('graphql_requests_total');
}, 60_000);

const vars = {
  appointmentId: 'a1',
  doctorName: 'Dr Who',
  patientName: 'Alice',
  workplaceName: 'Clinic One',
  startsAt: '2026-12-01T09:30:00Z',
  timeZone: 'Africa/Cairo',
};
