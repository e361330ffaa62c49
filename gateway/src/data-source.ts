import { RemoteGraphQLDataSource, type GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import { DEPENDENCY_RETRY_AFTER_SECONDS, isDependencyUnavailable, ServiceUnavailableError } from '@hc/graphql/shell';
import type { GatewayContext } from './context.js';
import { forwardClientAddress } from './client-address.js';

/**
 * Sends a subgraph exactly three things from the client request: the verified caller's
 * Authorization header (the subgraph verifies it again), the request id and the client address. Nothing else the
 * client sent (X-User-Id, cookies, ...) reaches a subgraph.
 */
export class ForwardingDataSource extends RemoteGraphQLDataSource<GatewayContext> {
  override willSendRequest(options: GraphQLDataSourceProcessOptions<GatewayContext>): void {
    const headers = options.request.http?.headers;
    if (!headers) return;
    const ctx = options.context as Partial<GatewayContext>;
    if (ctx.auth?.authorization) headers.set('authorization', ctx.auth.authorization);
    if (ctx.requestId) headers.set('x-request-id', ctx.requestId);
    // The address the gateway resolved, replacing anything the client claimed: auth rate-limits by it.
    forwardClientAddress(headers, ctx.clientIp);
  }

  /**
   * A subgraph that cannot be reached (refused, reset, timed out) or answers 502/503/504 fails
   * only the fields it owns, as SERVICE_UNAVAILABLE: the other subgraphs' fields still resolve.
   */
  override didEncounterError(error: Error, _request: unknown, response?: { status: number }): never {
    if (isDependencyUnavailable(error) || (response && [502, 503, 504].includes(response.status))) {
      throw new ServiceUnavailableError(undefined, DEPENDENCY_RETRY_AFTER_SECONDS);
    }
    throw error;
  }
}
