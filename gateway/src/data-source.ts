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
  constructor(config?: ConstructorParameters<typeof RemoteGraphQLDataSource<GatewayContext>>[0]) {
    super(config);
    // Apollo's sendRequest builds a node-fetch Request for every subgraph call (a WHATWG URL parse
    // and a header copy) only to hand it to hooks that ignore it here; our fetcher never sees it.
    // The same steps without it (private in the typings, hence the instance property).
    (this as unknown as { sendRequest: typeof sendRequest }).sendRequest = sendRequest;
  }

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

type Request = GraphQLDataSourceProcessOptions<GatewayContext>['request'];
type Response = Parameters<RemoteGraphQLDataSource['parseBody']>[0];

/** RemoteGraphQLDataSource's sendRequest (@apollo/gateway 2.14) minus the unused node-fetch Request. */
async function sendRequest(this: ForwardingDataSource, request: Request, context: GatewayContext) {
  const { http, ...withoutHttp } = request;
  if (!http) throw new Error("Internal error: Only 'http' requests are supported.");
  const init = { method: http.method, headers: Object.fromEntries(http.headers), body: JSON.stringify(withoutHttp) };
  let response: Response | undefined;
  try {
    response = await this.fetcher(http.url, init);
    if (!response.ok) throw await this.errorFromResponse(response);
    const body = await this.parseBody(response, undefined, context);
    if (body === null || typeof body !== 'object' || Array.isArray(body))
      throw new Error(`Expected JSON response body, but received: ${String(body)}`);
    return { ...body, http: response };
  } catch (error) {
    this.didEncounterError(error as Error, undefined as never, response);
    throw error;
  }
}
