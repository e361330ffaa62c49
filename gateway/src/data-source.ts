import { RemoteGraphQLDataSource, type GraphQLDataSourceProcessOptions } from '@apollo/gateway';
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
}
