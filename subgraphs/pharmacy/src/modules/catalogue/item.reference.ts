import { load } from '../loaders.js';
import type { PharmacySubgraphContext } from '../../context.js';

export const itemReference = {
  Item: { __resolveReference: (ref: { id: string }, ctx: PharmacySubgraphContext) => load.item(ctx, ref.id) },
};
