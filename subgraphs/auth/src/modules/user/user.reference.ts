import { loader, byKeys } from '@hc/graphql';
import { User } from './user.entity.js';
import type { AuthSubgraphContext } from '../../context.js';

/** Batches every User reference of a request into one query. */
export const userReference = {
  User: {
    __resolveReference: (ref: { id: string }, ctx: AuthSubgraphContext) =>
      loader<string, User | null>(ctx, userReference, async (ids) =>
        byKeys(ids, await ctx.em.find(User, { id: { $in: [...ids] } }), (u) => u.id),
      ).load(ref.id),
  },
};
