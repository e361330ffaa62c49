import { Arg, Authorized, Ctx, Field, ID, Int, Mutation, ObjectType, Query, Resolver } from 'type-graphql';
import type { Job } from 'bullmq';
import { pageSize } from '@hc/graphql';
import type { NotificationJobData } from '@hc/jobs';
import { NotificationStatus } from '../notification/notification.entity.js';
import type { NotificationSubgraphContext } from '../../context.js';

@ObjectType({ description: 'Job counts of the notifications queue.' })
export class NotificationQueueStats {
  @Field(() => Int) waiting!: number;
  @Field(() => Int) active!: number;
  @Field(() => Int) delayed!: number;
  @Field(() => Int) failed!: number;
  @Field(() => Int) completed!: number;
  @Field(() => Int) prioritized!: number;
}

@ObjectType({ description: 'A notification job that ended FAILED (variables are not shown).' })
export class FailedNotificationJob {
  @Field(() => ID) jobId!: string;
  @Field() name!: string;
  @Field(() => String, { nullable: true }) idempotencyKey?: string | null;
  @Field(() => String, { nullable: true }) template?: string | null;
  @Field(() => ID, { nullable: true }) userId?: string | null;
  @Field() failedReason!: string;
  @Field(() => Int) attemptsMade!: number;
  @Field(() => Date, { nullable: true }) failedAt?: Date | null;
}

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

@Resolver()
export class OperationsResolver {
  @Authorized('ADMIN')
  @Query(() => NotificationQueueStats, { description: 'Admin: job counts of the notifications queue.' })
  async notificationQueueStats(@Ctx() ctx: NotificationSubgraphContext): Promise<NotificationQueueStats> {
    const c = await ctx.queue.getJobCounts('waiting', 'active', 'delayed', 'failed', 'completed', 'prioritized');
    return {
      waiting: c.waiting ?? 0,
      active: c.active ?? 0,
      delayed: c.delayed ?? 0,
      failed: c.failed ?? 0,
      completed: c.completed ?? 0,
      prioritized: c.prioritized ?? 0,
    };
  }

  @Authorized('ADMIN')
  @Query(() => [FailedNotificationJob], { description: 'Admin: the most recent failed notification jobs.' })
  async failedNotificationJobs(
    @Ctx() ctx: NotificationSubgraphContext,
    @Arg('first', () => Int, { nullable: true, defaultValue: 20 }) first?: number,
  ): Promise<FailedNotificationJob[]> {
    const jobs = await ctx.queue.getFailed(0, pageSize(first) - 1);
    return jobs.filter(Boolean).map(toFailed);
  }

  @Authorized('ADMIN')
  @Mutation(() => Int, {
    description: 'Admin: re-queues failed notification jobs (the given ones, else up to 1000); returns how many.',
  })
  async retryFailedNotifications(
    @Ctx() ctx: NotificationSubgraphContext,
    @Arg('jobIds', () => [ID], { nullable: true }) jobIds?: string[],
  ): Promise<number> {
    const jobs = jobIds?.length
      ? (await Promise.all(jobIds.map((id) => ctx.queue.getJob(id)))).filter((j): j is Job => !!j)
      : await ctx.queue.getFailed(0, 999);
    let retried = 0;
    for (const job of jobs) {
      if (!job || (await job.getState()) !== 'failed') continue;
      const key = (job.data as Partial<NotificationJobData>)?.idempotencyKey;
      // The delivery row must be QUEUED again, or the worker would treat the retry as a duplicate.
      if (job.name === 'notification.send' && key) {
        await ctx.em.getConnection().execute(
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
}
