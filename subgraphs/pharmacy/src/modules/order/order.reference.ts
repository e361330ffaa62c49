import { byKeys, loader } from '@hc/graphql';
import { Order } from './order.entity.js';
import { canSeeOrder } from './order.service.js';
import type { PharmacySubgraphContext } from '../../context.js';

/** Order references from other subgraphs honour the same visibility (null when hidden). */
export const orderReference = {
  Order: {
    __resolveReference: async (ref: { id: string }, ctx: PharmacySubgraphContext) => {
      const order = await loader<string, Order | null>(ctx, orderReference, async (ids) =>
        byKeys(ids, await ctx.em.find(Order, { id: { $in: [...ids] } }), (o) => o.id),
      ).load(ref.id);
      return order && (await canSeeOrder(ctx, order)) ? order : null;
    },
  },
};
