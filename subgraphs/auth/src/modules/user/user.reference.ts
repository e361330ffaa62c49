import { load } from '../loaders.js';
import type { AuthSubgraphContext } from '../../context.js';

/** Batches every User reference of a request into one query. */
export const userReference = {
  User: {
    __resolveReference: (ref: { id: string }, ctx: AuthSubgraphContext) => load.user(ctx, ref.id),
  },
};
