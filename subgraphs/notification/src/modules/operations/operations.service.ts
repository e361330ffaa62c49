import type { Job, Queue } from 'bullmq';
import type { EntityManager } from '@mikro-orm/postgresql';
import { pageSize } from '@hc/graphql';
import type { NotificationJobData } from '@hc/jobs';
import { NotificationStatus } from '../notification/notification.entity.js';
import type { FailedNotificationJob, NotificationQueueStats } from './operations.types.js';

/** At most this many failed jobs are re-queued when no ids are named. */
export const RETRY_ALL_LIMIT = 1000;

const toFailed = (job: Job<Partial<NotificationJobData>>): FailedNotificationJob => ({
  jobId: job.id ?? '',
  name: job.name,
  idempotencyKey: job.data?.idempotencyKey ?? null,
  template: job.data?.template ?? null,
  userId: job.data?.userId ?? null,
  failedReason: job.failedReason ?? '',
  attemptsMade: job.attemptsMade,
  failedAt: job.finishedOn ? new Date(job.finishedOn) : null,
});

/** Job counts of the notifications queue (absent states count 0). */
export async function queueStats(queue: Queue): Promise<NotificationQueueStats> {
  const c = await queue.getJobCounts('waiting', 'active', 'delayed', 'failed', 'completed', 'prioritized');
  return {
    waiting: c.waiting ?? 0,
    active: c.active ?? 0,
    delayed: c.delayed ?? 0,
    failed: c.failed ?? 0,
    completed: c.completed ?? 0,
    prioritized: c.prioritized ?? 0,
  };
}

/** The most recent failed jobs, without their variables. */
export async function failedJobs(queue: Queue, first: number | null | undefined): Promise<FailedNotificationJob[]> {
  const jobs = await queue.getFailed(0, pageSize(first) - 1);
  return jobs.filter(Boolean).map(toFailed);
}

/**
 * Re-queues failed jobs (the named ones, else up to 1000) and returns how many. A send job's
 * delivery row goes back to QUEUED first, or the worker would take the retry for a duplicate.
 */
export async function retryFailedJobs(em: EntityManager, queue: Queue, jobIds: string[] | null | undefined): Promise<number> {
  const jobs = jobIds?.length
    ? (await Promise.all(jobIds.map((id) => queue.getJob(id)))).filter((j): j is Job => !!j)
    : await queue.getFailed(0, RETRY_ALL_LIMIT - 1);
  let retried = 0;
  for (const job of jobs) {
    if (!job || (await job.getState()) !== 'failed') continue;
    const key = (job.data as Partial<NotificationJobData>)?.idempotencyKey;
    if (job.name === 'notification.send' && key) {
      await em.getConnection().execute(
        `update notifications set status = ?, error_message = null, lease_job_id = null, lease_until = null, updated_at = now()
           where idempotency_key = ? and status = ?`,
        [NotificationStatus.QUEUED, key, NotificationStatus.FAILED],
        'run',
      );
    }
    await job.retry('failed', { resetAttemptsMade: true, resetAttemptsStarted: true });
    retried += 1;
  }
  return retried;
}
