import { byKeys, loader } from '@hc/graphql';
import { NotificationPreferences } from './preference/preference.entity.js';
import type { NotificationSubgraphContext } from '../context.js';

/** Per-request batched lookups: a list of N users costs one query per relation. */
export const load = {
  /** The user's saved preferences; null when they never saved any. */
  preferences: (ctx: NotificationSubgraphContext, userId: string) =>
    loader<string, NotificationPreferences | null>(ctx, load.preferences, async (ids) =>
      byKeys(ids, await ctx.em.find(NotificationPreferences, { userId: { $in: [...ids] } }), (p) => p.userId),
    ).load(userId),
};
