import { Arg, Ctx, FieldResolver, Int, Resolver, Root } from 'type-graphql';
import { NotificationConnection } from './notification.inputs.js';
import { history } from './notification.service.js';
import { UserRef } from '../user/user.reference.js';
import type { NotificationSubgraphContext } from '../../context.js';

/** `User.notifications`: the history on the auth-owned User entity. */
@Resolver(() => UserRef)
export class UserNotificationResolver {
  @FieldResolver(() => NotificationConnection, { description: 'The user themself and admins only; newest first.' })
  notifications(
    @Root() user: UserRef,
    @Ctx() ctx: NotificationSubgraphContext,
    @Arg('first', () => Int, { nullable: true, defaultValue: 20 }) first?: number,
    @Arg('after', () => String, { nullable: true }) after?: string,
  ): Promise<NotificationConnection> {
    return history(ctx.em, ctx.auth.user, user.id, first, after);
  }
}
