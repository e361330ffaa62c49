import { load } from '../loaders.js';
import type { PharmacySubgraphContext } from '../../context.js';

export const pharmacyReferences = {
  Pharmacy: { __resolveReference: (ref: { id: string }, ctx: PharmacySubgraphContext) => load.pharmacy(ctx, ref.id) },
  PharmacyBranch: { __resolveReference: (ref: { id: string }, ctx: PharmacySubgraphContext) => load.branch(ctx, ref.id) },
};
