import { Arg, Authorized, Ctx, ID, Int, Mutation, Query, Resolver } from 'type-graphql';
import { FailedNotificationJob, NotificationQueueStats } from './operations.types.js';
import { failedJobs, queueStats, retryFailedJobs } from './operations.service.js';
import type { NotificationSubgraphContext } from '../../context.js';

@Resolver()
export class OperationsResolver {
  @Authorized('ADMIN')
  @Query(() => NotificationQueueStats, { description: 'Admin: job counts of the notifications queue.' })
  notificationQueueStats(@Ctx() ctx: NotificationSubgraphContext): Promise<NotificationQueueStats> {
    return queueStats(ctx.queue);
  }

  @Authorized('ADMIN')
  @Query(() => [FailedNotificationJob], { description: 'Admin: the most recent failed notification jobs.' })
  failedNotificationJobs(
    @Ctx() ctx: NotificationSubgraphContext,
    @Arg('first', () => Int, { nullable: true, defaultValue: 20 }) first?: number,
  ): Promise<FailedNotificationJob[]> {
    return failedJobs(ctx.queue, first);
  }

  @Authorized('ADMIN')
  @Mutation(() => Int, {
    description: 'Admin: re-queues failed notification jobs (the given ones, else up to 1000); returns how many.',
  })
  retryFailedNotifications(
    @Ctx() ctx: NotificationSubgraphContext,
    @Arg('jobIds', () => [ID], { nullable: true }) jobIds?: string[],
  ): Promise<number> {
    return retryFailedJobs(ctx.em, ctx.queue, jobIds);
  }
}
