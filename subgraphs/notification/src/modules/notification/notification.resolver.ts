import { Arg, Authorized, Ctx, ID, Int, Mutation, Query, Resolver } from 'type-graphql';
import { requireUser } from '@hc/graphql';
import { Notification } from './notification.entity.js';
import { NotificationConnection, SendNotificationInput } from './notification.inputs.js';
import { history, sendNotification } from './notification.service.js';
import type { NotificationSubgraphContext } from '../../context.js';

@Resolver(() => Notification)
export class NotificationResolver {
  @Authorized()
  @Query(() => NotificationConnection, { description: "The caller's messages, newest first; admins may name any userId." })
  notificationHistory(
    @Ctx() ctx: NotificationSubgraphContext,
    @Arg('userId', () => ID, { nullable: true }) userId?: string,
    @Arg('first', () => Int, { nullable: true, defaultValue: 20 }) first?: number,
    @Arg('after', () => String, { nullable: true }) after?: string,
  ): Promise<NotificationConnection> {
    const user = requireUser(ctx.auth);
    return history(ctx.em, user, userId ?? user.id, first, after, 'not-found');
  }

  @Authorized('ADMIN')
  @Mutation(() => Notification, { description: 'Admin: queues a message to a user (same pipeline as every producer).' })
  sendNotification(
    @Arg('input', () => SendNotificationInput) input: SendNotificationInput,
    @Ctx() ctx: NotificationSubgraphContext,
  ): Promise<Notification> {
    return sendNotification(ctx.em, input);
  }
}
