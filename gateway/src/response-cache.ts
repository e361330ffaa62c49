import { TypeInfo, visit, visitWithTypeInfo, type DocumentNode, type GraphQLSchema } from 'graphql';
import type { ApolloServerPlugin } from '@apollo/server';
import responseCachePlugin from '@apollo/server-plugin-response-cache';
import type { GatewayContext } from './context.js';
import type { KeyValueCache } from './redis-cache.js';

/**
 * Cache hints (seconds) per `Type.field`, for anonymous reads only. A query is cacheable when
 * every root field has a hint; its max age is the smallest hint of any field it selects. Fields
 * without a hint below the root inherit. Slots and stock move with every booking and order, so
 * they get the shortest ages; there is no invalidation on writes, the TTLs are the bound on staleness.
 */
export const CACHE_HINTS: Record<string, number> = {
  'Query.doctors': 30,
  'Query.doctor': 30,
  'Query.pharmacies': 60,
  'Query.pharmacy': 60,
  'Query.products': 60,
  'Query.search': 15,
  'Query.categories': 300,
  'Doctor.availableSlots': 5,
  'Pharmacy.stock': 10,
  'StockEntry.quantity': 10,
  // Never cached, even if some day visible to anonymous callers.
  'User.email': 0,
  'User.patientProfile': 0,
};

/** Max age (seconds) of a query document under the hints; 0 = not cacheable. */
export function maxAgeOf(schema: GraphQLSchema, document: DocumentNode, hints: Record<string, number>): number {
  const queryType = schema.getQueryType();
  let maxAge = Infinity;
  const typeInfo = new TypeInfo(schema);
  visit(
    document,
    visitWithTypeInfo(typeInfo, {
      OperationDefinition(node) {
        if (node.operation !== 'query') maxAge = 0;
      },
      Field(node) {
        if (node.name.value === '__typename') return;
        const parent = typeInfo.getParentType();
        const hint = parent ? hints[`${parent.name}.${node.name.value}`] : undefined;
        if (hint !== undefined) maxAge = Math.min(maxAge, hint);
        else if (!parent || parent === queryType) maxAge = 0;
      },
    }),
  );
  return maxAge === Infinity ? 0 : maxAge;
}

/**
 * The response cache for public reads: Redis-backed, only for callers without an
 * Authorization header (a response that depends on who asks is never stored or served), only
 * when the hints allow, at most `cap` seconds.
 */
export function responseCachePlugins(
  cache: KeyValueCache,
  cap: number,
  hints: Record<string, number> = CACHE_HINTS,
): ApolloServerPlugin<GatewayContext>[] {
  const anonymous = async (ctx: { contextValue: GatewayContext }) => !ctx.contextValue.auth.authorization;
  const memo = new WeakMap<DocumentNode, number>();
  const hintsPlugin: ApolloServerPlugin<GatewayContext> = {
    async requestDidStart() {
      return {
        async didResolveOperation(ctx) {
          if (ctx.contextValue.auth.authorization) {
            ctx.overallCachePolicy.restrict({ maxAge: 0 });
            return;
          }
          let maxAge = memo.get(ctx.document);
          if (maxAge === undefined) {
            maxAge = maxAgeOf(ctx.schema, ctx.document, hints);
            memo.set(ctx.document, maxAge);
          }
          ctx.overallCachePolicy.replace({ maxAge: Math.min(maxAge, cap), scope: 'PUBLIC' });
        },
      };
    },
  };
  return [
    hintsPlugin,
    responseCachePlugin<GatewayContext>({
      cache,
      shouldReadFromCache: anonymous,
      shouldWriteToCache: anonymous,
    }),
  ];
}
