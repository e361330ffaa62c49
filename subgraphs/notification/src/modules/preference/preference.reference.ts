import { Ctx, FieldResolver, Resolver, Root } from 'type-graphql';
import { NotificationPreferences } from './preference.entity.js';
import { preferencesOf } from './preference.service.js';
import { UserRef } from '../user/user.reference.js';
import type { NotificationSubgraphContext } from '../../context.js';

/** `User.notificationPreferences`: the opt-ins on the auth-owned User entity. */
@Resolver(() => UserRef)
export class UserPreferenceResolver {
  @FieldResolver(() => NotificationPreferences, { description: 'The user themself and admins only.' })
  notificationPreferences(@Root() user: UserRef, @Ctx() ctx: NotificationSubgraphContext): Promise<NotificationPreferences> {
    return preferencesOf(ctx, ctx.auth.user, user.id);
  }
}
