import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { startSentinelSet, type SentinelSet } from '@hc/testing';
import { startFakes, providerEnv, startNotificationPipeline, waitFor, type Pipeline } from '../../../test/pipeline-harness.js';

// Every Redis client of the pipeline (relay, worker, queues, reconcilers) behind Sentinel: the
// master is SIGKILLed mid-burst, Sentinel promotes the replica, and every message is still sent
// exactly once (jobs the replica never received are re-enqueued by the reconcilers).
let set: SentinelSet;
let fakes: Awaited<ReturnType<typeof startFakes>>;
let p: Pipeline;

const MESSAGES = 100;

beforeAll(async () => {
  set = await startSentinelSet();
  fakes = await startFakes();
  p = await startNotificationPipeline({
    ...providerEnv(fakes),
    // Only the credentials/db of REDIS_URL count once sentinels are set: this address is never dialled.
    REDIS_URL: 'redis://127.0.0.1:9',
    REDIS_SENTINELS: set.addresses,
    REDIS_SENTINEL_NAME: set.name,
    RECONCILE_INTERVAL_SECONDS: '1',
    RECONCILE_MIN_AGE_SECONDS: '2',
    WORKER_CONCURRENCY: '10',
  });
}, 30_000);
afterAll(async () => {
  await p?.stop();
  await fakes?.stop();
  await set?.stop();
}, 30_000);

it('sends a 100-message burst exactly once across a Sentinel failover (master SIGKILLed)', async () => {
  const user = await p.userChanged({ email: 'sentinel.burst@example.com', phone: null });
  await p.contactKnown(user.userId);
  const oldMaster = await set.currentMasterPort();
  expect(oldMaster).toBe(set.master.port);

  const keys: string[] = [];
  const outboxIds = new Map<string, string>();
  const produce = async (i: number) => {
    const req = await p.produce({
      userId: user.userId,
      template: 'appointment.booked',
      channel: 'EMAIL',
      variables: { ...vars, doctorName: `marker-${i}-end` },
    });
    keys.push(req.idempotencyKey);
    outboxIds.set(req.idempotencyKey, req.outboxId);
  };
  for (let i = 0; i < MESSAGES / 2; i++) await produce(i);
  // Mid-burst: some messages sent, some in Redis only, some still in the outbox.
  await waitFor('first messages sent', async () => fakes.smtp.received.length >= 10, 20_000);
  set.master.kill();
  const killedAt = Date.now();
  for (let i = MESSAGES / 2; i < MESSAGES; i++) await produce(i);

  await waitFor('Sentinel failover', async () => (await set.currentMasterPort().catch(() => oldMaster)) !== oldMaster, 30_000);
  const failoverMs = Date.now() - killedAt;
  const unsent = async () => {
    const rows: { idempotency_key: string }[] = await p.orm.em
      .fork()
      .getConnection()
      .execute(`select idempotency_key from notifications where idempotency_key in (?) and status = 'SENT'`, [keys]);
    const sent = new Set(rows.map((r) => r.idempotency_key));
    return keys.filter((k) => !sent.has(k));
  };
  try {
    await waitFor('every message SENT', async () => (await unsent()).length === 0, 45_000);
  } catch (error) {
    // Say where the stragglers are: delivery record and BullMQ state.
    const detail = [];
    for (const key of (await unsent()).slice(0, 5)) {
      const record = await p.record(key);
      const state = await p.queue.getJobState(outboxIds.get(key)!).catch((e: Error) => e.message);
      detail.push(`${key}: record ${record?.status ?? 'none'} attempts ${record?.attempts ?? '-'}, job ${state}`);
    }
    throw new Error(`${(error as Error).message}\n${detail.join('\n')}`, { cause: error });
  }
  // Late duplicates would come from a job re-run after the failover: give them a few reconcile rounds.
  await new Promise((r) => setTimeout(r, 3_000));

  const counts = new Map<string, number>();
  for (const mail of fakes.smtp.received) {
    const marker = /marker-(\d+)-end/.exec(mail.text)?.[1];
    if (marker) counts.set(marker, (counts.get(marker) ?? 0) + 1);
  }
  expect(counts.size).toBe(MESSAGES);
  expect([...counts.values()].filter((n) => n !== 1)).toEqual([]);
  expect(fakes.smtp.received).toHaveLength(MESSAGES);
  expect(await set.currentMasterPort()).toBe(set.replica.port);
  expect(failoverMs).toBeLessThan(30_000);
  console.info(`failover seen by the test after ${failoverMs} ms; ${MESSAGES} messages sent once each`);
}, 90_000);

const vars = {
  appointmentId: 'a1',
  doctorName: 'Dr Who',
  patientName: 'Alice',
  workplaceName: 'Clinic One',
  startsAt: '2026-12-01T09:30:00Z',
  timeZone: 'Africa/Cairo',
};
