import { Arg, Authorized, Ctx, Mutation, Resolver } from 'type-graphql';
import { requireUser } from '@hc/graphql';
import { NotificationPreferences } from './preference.entity.js';
import { PreferencesInput } from './preference.inputs.js';
import { updatePreferences } from './preference.service.js';
import type { NotificationSubgraphContext } from '../../context.js';

@Resolver(() => NotificationPreferences)
export class PreferenceResolver {
  @Authorized()
  @Mutation(() => NotificationPreferences, { description: "The caller's channel opt-ins; security messages ignore them." })
  updateNotificationPreferences(
    @Arg('input', () => PreferencesInput) input: PreferencesInput,
    @Ctx() ctx: NotificationSubgraphContext,
  ): Promise<NotificationPreferences> {
    return updatePreferences(ctx.em, requireUser(ctx.auth).id, input);
  }
}
