import type { GraphQLError } from 'graphql';

/**
 * Drops the HTTP status an AppError carries. Inside a subgraph a non-200 answer makes the
 * gateway discard the whole subgraph response (and the error code), so auth's field errors
 * (RATE_LIMITED, bad credentials) travel in the GraphQL body only.
 */
export function inBand<E extends GraphQLError>(error: E): E {
  delete (error.extensions as Record<string, unknown>).http;
  return error;
}
