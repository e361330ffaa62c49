import { Arg, Authorized, Ctx, FieldResolver, Mutation, Resolver, Root } from 'type-graphql';
import { UniqueConstraintViolationException } from '@mikro-orm/core';
import { loader, requireUser } from '@hc/graphql';
import { defaultPreferences, NotificationPreferences } from './preference.entity.js';
import { PreferencesInput } from './preference.inputs.js';
import { assertSelfOrAdmin, UserRef } from '../user/user.reference.js';
import type { NotificationSubgraphContext } from '../../context.js';

const PREFS = Symbol('preferencesByUser');

@Resolver(() => NotificationPreferences)
export class PreferenceResolver {
  @Authorized()
  @Mutation(() => NotificationPreferences, { description: "The caller's channel opt-ins; security messages ignore them." })
  async updateNotificationPreferences(
    @Arg('input', () => PreferencesInput) input: PreferencesInput,
    @Ctx() ctx: NotificationSubgraphContext,
  ): Promise<NotificationPreferences> {
    const user = requireUser(ctx.auth);
    const apply = async (em: NotificationSubgraphContext['em']) => {
      let prefs = await em.findOne(NotificationPreferences, { userId: user.id });
      if (!prefs) {
        prefs = defaultPreferences(user.id);
        em.persist(prefs);
      }
      if (input.emailEnabled != null) prefs.emailEnabled = input.emailEnabled;
      if (input.whatsappEnabled != null) prefs.whatsappEnabled = input.whatsappEnabled;
      if (input.smsEnabled != null) prefs.smsEnabled = input.smsEnabled;
      if (input.preferredChannel !== undefined) prefs.preferredChannel = input.preferredChannel;
      await em.flush();
      return prefs;
    };
    try {
      return await apply(ctx.em.fork());
    } catch (error) {
      // Two first-time saves raced on the primary key: the row exists now, so apply again as an update.
      if (!(error instanceof UniqueConstraintViolationException)) throw error;
      return apply(ctx.em.fork());
    }
  }
}

@Resolver(() => UserRef)
export class UserPreferenceResolver {
  @FieldResolver(() => NotificationPreferences, { description: 'The user themself and admins only.' })
  async notificationPreferences(
    @Root() user: UserRef,
    @Ctx() ctx: NotificationSubgraphContext,
  ): Promise<NotificationPreferences> {
    assertSelfOrAdmin(ctx.auth.user, user.id);
    const rows = loader<string, NotificationPreferences | null>(ctx, PREFS, async (ids) => {
      const found = await ctx.em.find(NotificationPreferences, { userId: { $in: [...ids] } });
      return ids.map((id) => found.find((p) => p.userId === id) ?? null);
    });
    return (await rows.load(user.id)) ?? defaultPreferences(user.id);
  }
}
