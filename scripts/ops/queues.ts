// Queue state and replay of failed jobs, through BullMQ's own Queue API (no raw keys), for the
// queues in @hc/jobs QUEUES. Job payloads are never printed: they name users and may carry
// health-related text; ids, names, attempts and failure reasons are enough to act on.
import { Queue, type Job } from 'bullmq';
import { createRedis } from '@hc/config';
import { QUEUES } from '@hc/jobs';

export const QUEUE_NAMES = Object.values(QUEUES) as string[];
const STATES = ['waiting', 'active', 'delayed', 'prioritized', 'waiting-children', 'failed', 'completed'] as const;

export interface FailedJobSummary {
  id: string;
  name: string;
  attemptsMade: number;
  failedReason: string;
  failedAt: string | null;
}

export interface QueueState {
  queue: string;
  paused: boolean;
  counts: Record<(typeof STATES)[number], number>;
  /** Most recent failures first. */
  recentFailures: FailedJobSummary[];
}

async function withQueue<T>(redisUrl: string, prefix: string, name: string, fn: (q: Queue) => Promise<T>): Promise<T> {
  const connection = createRedis(redisUrl, { maxRetriesPerRequest: 1, lazyConnect: false });
  connection.on('error', () => undefined);
  const queue = new Queue(name, { connection, prefix });
  try {
    return await fn(queue);
  } finally {
    await queue.close();
    connection.disconnect();
  }
}

const summary = (job: Job): FailedJobSummary => ({
  id: String(job.id),
  name: job.name,
  attemptsMade: job.attemptsMade,
  failedReason: (job.failedReason ?? '').slice(0, 200),
  failedAt: job.finishedOn ? new Date(job.finishedOn).toISOString() : null,
});

export async function queueStates(options: {
  redisUrl: string;
  prefix: string;
  queues?: string[];
  failedSample?: number;
}): Promise<QueueState[]> {
  const sample = options.failedSample ?? 5;
  const states: QueueState[] = [];
  for (const name of options.queues ?? QUEUE_NAMES) {
    states.push(
      await withQueue(options.redisUrl, options.prefix, name, async (q) => ({
        queue: name,
        paused: await q.isPaused(),
        counts: (await q.getJobCounts(...STATES)) as QueueState['counts'],
        recentFailures: sample > 0 ? (await q.getFailed(0, sample - 1)).filter(Boolean).map(summary) : [],
      })),
    );
  }
  return states;
}

export interface ReplayResult {
  queue: string;
  replayed: string[];
  skipped: { id: string; reason: string }[];
}

/**
 * Moves failed jobs back to waiting with their attempt counters reset, newest failures first.
 * `beforeRetry` runs first for each job and may veto it with a reason (the notification service
 * needs its delivery record reopened, or it would treat the retry as a duplicate).
 */
export async function replayFailed(options: {
  redisUrl: string;
  prefix: string;
  queue: string;
  limit?: number;
  ids?: string[];
  dryRun?: boolean;
  beforeRetry?: (job: Job) => Promise<string | null>;
}): Promise<ReplayResult> {
  if (!QUEUE_NAMES.includes(options.queue)) {
    throw new Error(`unknown queue "${options.queue}"; queues: ${QUEUE_NAMES.join(', ')}`);
  }
  return withQueue(options.redisUrl, options.prefix, options.queue, async (q) => {
    const limit = options.limit ?? 100;
    const jobs = options.ids
      ? (await Promise.all(options.ids.map((id) => q.getJob(id)))).filter((j): j is Job => !!j)
      : (await q.getFailed(0, limit - 1)).filter(Boolean);
    const result: ReplayResult = { queue: options.queue, replayed: [], skipped: [] };
    if (options.ids) {
      for (const id of options.ids)
        if (!jobs.some((j) => String(j.id) === id)) result.skipped.push({ id, reason: 'no such job' });
    }
    for (const job of jobs) {
      const id = String(job.id);
      if (!(await job.isFailed())) {
        result.skipped.push({ id, reason: 'not failed' });
        continue;
      }
      if (options.dryRun) {
        result.replayed.push(id);
        continue;
      }
      const veto = options.beforeRetry ? await options.beforeRetry(job) : null;
      if (veto) {
        result.skipped.push({ id, reason: veto });
        continue;
      }
      await job.retry('failed', { resetAttemptsMade: true, resetAttemptsStarted: true });
      result.replayed.push(id);
    }
    return result;
  });
}
