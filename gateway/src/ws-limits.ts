import type { IncomingMessage } from 'node:http';
import type { WebSocket } from 'ws';
import { GraphQLError, type ExecutionArgs, type GraphQLSchema } from 'graphql';
import type { Context, SubscribePayload } from 'graphql-ws';
import type { GatewayConfig } from '@hc/config';
import type { ServiceMetrics } from '@hc/graphql/shell';
import type { Limits } from './limits.js';
import { refusals } from './refusals.js';
import { sha256 } from './persisted-queries.js';

export type WsLimitsConfig = Pick<
  GatewayConfig,
  'WS_MAX_PAYLOAD_BYTES' | 'WS_MAX_SUBSCRIPTIONS_PER_SOCKET' | 'WS_MAX_SUBSCRIPTIONS_PER_USER'
>;

// graphql-ws keeps a socket's active operations in ctx.subscriptions (the one being started
// included), and removes them when they complete or the socket closes: counting that map needs no
// bookkeeping of our own that could drift.
type AnyContext = Context<Record<string, unknown> | undefined, unknown>;
const active = (ctx: AnyContext) => Object.keys(ctx.subscriptions).length;

const withoutHttp = (e: GraphQLError) => {
  const { http: _http, ...extensions } = e.extensions as Record<string, unknown>;
  return new GraphQLError(e.message, { extensions });
};

/**
 * The WebSocket side of the gateway's limits: a message size cap (ws closes the socket with 1009
 * beyond it, before parsing), the same parse/validation/cost rules as HTTP for every subscribe
 * message, and caps on active subscriptions per socket and per signed-in user. Refusals are
 * counted in `gateway_refused_operations_total{transport="ws"}`.
 */
/** Close code for a connection refused by the rate limit (4xxx: an application code a client can act on). */
export const CLOSE_RATE_LIMITED = 4429;

export function createWsLimits(
  config: WsLimitsConfig,
  limits: Limits,
  metrics: ServiceMetrics,
  options: {
    safelist?: Map<string, string>;
    /** Counts a connection against its client address's rate limit; throws when it is spent. */
    admitAddress?: (request: IncomingMessage) => Promise<void>;
  } = {},
) {
  const { safelist } = options;
  const refused = refusals(metrics);
  const socketsByUser = new Map<string, Set<AnyContext>>();

  const refuse = (reason: string, errors: readonly GraphQLError[]) => {
    refused.inc({ transport: 'ws', reason });
    return errors.map(withoutHttp);
  };

  return {
    /** ws `maxPayload`: the largest message, connection_init included, that is read at all. */
    maxPayload: config.WS_MAX_PAYLOAD_BYTES,

    /** Counts messages ws refused for their size (it closes the socket with 1009 itself). */
    watchSocket(socket: WebSocket): void {
      socket.on('error', (err: Error & { code?: string }) => {
        if (err.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH') refused.inc({ transport: 'ws', reason: 'MESSAGE_TOO_LARGE' });
      });
    },

    /**
     * Before the token is verified: a connection counts as one request against the client
     * address (so a flood of sockets with bad tokens is throttled like HTTP). False = refused.
     */
    async admit(request: IncomingMessage): Promise<boolean> {
      try {
        await options.admitAddress?.(request);
        return true;
      } catch (error) {
        if ((error as GraphQLError).extensions?.code !== 'RATE_LIMITED') throw error;
        return false;
      }
    },

    /** After authentication: the socket now counts towards its user's cap. */
    connected(ctx: AnyContext, userId: string): void {
      let set = socketsByUser.get(userId);
      if (!set) socketsByUser.set(userId, (set = new Set()));
      set.add(ctx);
    },

    closed(ctx: AnyContext, userId: string | undefined): void {
      if (!userId) return;
      const set = socketsByUser.get(userId);
      set?.delete(ctx);
      if (set?.size === 0) socketsByUser.delete(userId);
    },

    /**
     * graphql-ws onSubscribe: the caps, then the document checked as HTTP checks it. Returns the
     * execution arguments (graphql-ws then skips its own unbounded parse and validation) or the refusal.
     */
    check(
      ctx: AnyContext,
      userId: string | undefined,
      payload: SubscribePayload,
      schema: GraphQLSchema,
    ): ExecutionArgs | readonly GraphQLError[] {
      if (active(ctx) > config.WS_MAX_SUBSCRIPTIONS_PER_SOCKET) {
        return refuse('TOO_MANY_SUBSCRIPTIONS', [
          new GraphQLError(`At most ${config.WS_MAX_SUBSCRIPTIONS_PER_SOCKET} active subscriptions per connection`, {
            extensions: { code: 'RATE_LIMITED', reason: 'TOO_MANY_SUBSCRIPTIONS' },
          }),
        ]);
      }
      if (userId) {
        let total = 0;
        for (const other of socketsByUser.get(userId) ?? []) total += active(other);
        if (total > config.WS_MAX_SUBSCRIPTIONS_PER_USER) {
          return refuse('TOO_MANY_SUBSCRIPTIONS', [
            new GraphQLError(`At most ${config.WS_MAX_SUBSCRIPTIONS_PER_USER} active subscriptions per user`, {
              extensions: { code: 'RATE_LIMITED', reason: 'TOO_MANY_SUBSCRIPTIONS' },
            }),
          ]);
        }
      }
      if (typeof payload.query !== 'string') {
        return refuse('GRAPHQL_PARSE_FAILED', [
          new GraphQLError('query must be a string', { extensions: { code: 'BAD_USER_INPUT' } }),
        ]);
      }
      if (safelist && !safelist.has(sha256(payload.query))) {
        return refuse('NOT_SAFELISTED', [
          new GraphQLError('This operation is not registered', {
            extensions: { code: 'PERSISTED_QUERY_NOT_FOUND', reason: 'NOT_SAFELISTED' },
          }),
        ]);
      }
      const variables = (payload.variables ?? undefined) as Record<string, unknown> | undefined;
      const result = limits.check(schema, { query: payload.query, variables, operationName: payload.operationName });
      if (result.errors) {
        const first = result.errors[0]?.extensions as { reason?: string; code?: string } | undefined;
        return refuse(String(first?.reason ?? first?.code ?? 'INVALID'), result.errors);
      }
      return {
        schema,
        document: result.document,
        variableValues: variables,
        operationName: payload.operationName ?? undefined,
      };
    },
  };
}
