import type http from 'node:http';
import { randomUUID } from 'node:crypto';
import { WebSocketServer, type WebSocket } from 'ws';
import { useServer } from 'graphql-ws/use/ws';
import { GraphQLError, type ExecutionArgs, type ExecutionResult, type GraphQLSchema } from 'graphql';
import type { ApolloServer } from '@apollo/server';
import type { ApolloGateway } from '@apollo/gateway';
import { AuthError, AuthUnavailableError, bearerToken, type AuthUser, type TokenVerifier } from '@hc/auth';
import type { Logger } from '@hc/logger';
import type { GatewayContext } from '../context.js';
import { AppointmentEventBus } from './event-bus.js';
import { createAppointmentFanout } from './fanout.js';
import { planSubscription } from './selection.js';
import { CLOSE_RATE_LIMITED, type createWsLimits } from '../ws-limits.js';

/** Close codes a client can act on: 4401 sign in again, 4403 not allowed, 4429 (ws-limits.ts) retry later. */
export const CLOSE_UNAUTHORIZED = 4401;

export interface SubscriptionOptions {
  httpServer: http.Server;
  gateway: ApolloGateway;
  apollo: ApolloServer<GatewayContext>;
  verifyToken: TokenVerifier;
  redisUrl: string;
  redisPrefix: string;
  logger: Logger;
  /** WebSocket path, shared with HTTP GraphQL. */
  path?: string;
  /** Message size, per-socket/per-user caps and the HTTP query limits for subscribe messages. */
  limits: ReturnType<typeof createWsLimits>;
  /**
   * The gateway's in-memory revocation check: before each delivery every subscriber's token is
   * re-checked with it (without it, `verifyToken` runs once per token and event).
   */
  isRevoked?: (user: AuthUser) => boolean;
}

interface ConnectionState {
  user?: AuthUser;
  authorization?: string;
  /** The token's expiry (ms since the epoch). */
  expiresAt?: number;
}

/** The (already verified) token's `exp` in ms since the epoch. */
function tokenExpiry(token: string): number | undefined {
  try {
    const exp: unknown = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString()).exp;
    return typeof exp === 'number' ? exp * 1000 : undefined;
  } catch {
    return undefined;
  }
}

/**
 * A socket must not outlive its access token: close it with 4401 when the (already verified)
 * token expires, so the client reconnects with a fresh one.
 */
function closeAtExpiry(socket: WebSocket, expiresAt: number | undefined): void {
  if (expiresAt === undefined) return;
  const timer = setTimeout(
    () => socket.close(CLOSE_UNAUTHORIZED, 'Unauthorized: token expired'),
    Math.max(0, expiresAt - Date.now()),
  );
  timer.unref();
  socket.once('close', () => clearTimeout(timer));
}

/** An async iterator fed by pushes; `return()` (client unsubscribes or disconnects) runs the cleanup. */
function pushIterator<T>(cleanup: () => void) {
  const queue: T[] = [];
  let waiting: ((r: IteratorResult<T>) => void) | null = null;
  let done = false;
  const finish = () => {
    if (done) return;
    done = true;
    cleanup();
    waiting?.({ value: undefined, done: true });
    waiting = null;
  };
  const iterator: AsyncIterableIterator<T> & { return: () => Promise<IteratorResult<T>> } = {
    next: () => {
      if (queue.length) return Promise.resolve({ value: queue.shift()!, done: false });
      if (done) return Promise.resolve({ value: undefined, done: true });
      return new Promise((resolve) => (waiting = resolve));
    },
    return: () => {
      finish();
      return Promise.resolve({ value: undefined, done: true });
    },
    [Symbol.asyncIterator]() {
      return this;
    },
  };
  return {
    iterator,
    push: (value: T) => {
      if (done) return;
      if (waiting) {
        waiting({ value, done: false });
        waiting = null;
      } else queue.push(value);
    },
    end: finish,
    ended: () => done,
  };
}

/**
 * Serves `Subscription.appointmentUpdated` and `Subscription.slotReleased` over graphql-ws on the gateway's HTTP server
 * (@apollo/gateway cannot execute subscriptions, and subscriptions never go to subgraphs).
 * The token comes in connectionParams.authorization and is verified like HTTP; a missing or
 * bad token closes the socket with 4401. Each event from Redis is delivered only to
 * subscribers listed in the event (patient, doctor, assigned assistants) and matching the
 * filters; their appointment selections are resolved through the supergraph once per group of
 * subscribers that must get the same answer, with a member's token, so subgraphs authorize it
 * again (fanout.ts: who is grouped with whom). A slotReleased event names a time, never a person:
 * it goes to every signed-in subscriber whose filters match, rendered from the event alone (no
 * subgraph request). Call before `apollo.start()`
 * (it adds a plugin and listens for the first schema load).
 */
export function attachSubscriptions(options: SubscriptionOptions) {
  const { apollo, gateway, verifyToken, logger } = options;
  // Over HTTP a subscription would reach @apollo/gateway, which cannot run it: answer clearly instead.
  apollo.addPlugin({
    async requestDidStart() {
      return {
        async didResolveOperation({ operation }) {
          if (operation?.operation === 'subscription')
            throw new GraphQLError('Subscriptions are served over WebSocket (graphql-ws) at /graphql', {
              extensions: { code: 'BAD_USER_INPUT' },
            });
        },
      };
    },
  });
  const bus = new AppointmentEventBus(options.redisUrl, options.redisPrefix, logger);
  const wsServer = new WebSocketServer({
    server: options.httpServer,
    path: options.path ?? '/graphql',
    maxPayload: options.limits.maxPayload,
  });
  wsServer.on('connection', (socket) => options.limits.watchSocket(socket));
  let apiSchema: GraphQLSchema | undefined;
  const unsubscribeSchema = gateway.onSchemaLoadOrUpdate(({ apiSchema: s }) => {
    apiSchema = s;
  });
  const schema = () => {
    const s = apiSchema ?? gateway.schema;
    if (!s) throw new Error('gateway schema not loaded yet');
    return s;
  };

  const fanout = createAppointmentFanout({
    logger,
    isRevoked: options.isRevoked,
    verifyToken,
    execute: async (member, query, variables) => {
      const requestId = randomUUID();
      const response = await apollo.executeOperation(
        { query, variables },
        {
          contextValue: {
            auth: { user: member.user, requestId, authorization: member.authorization },
            requestId,
            logger: logger.child({ requestId }),
            // Generated by the gateway from an accepted subscription: the safelist does not apply.
            internal: true,
          } as GatewayContext,
        },
      );
      return response.body.kind === 'single' ? response.body.singleResult : null;
    },
  });
  const stopListening = bus.listen((event) => fanout.dispatch(event));

  const subscribe = async (args: ExecutionArgs): Promise<AsyncIterable<ExecutionResult> | ExecutionResult> => {
    const ctx = args.contextValue as { state: ConnectionState; socket: WebSocket; id: string };
    const state = ctx.state;
    if (!state.user || !state.authorization)
      return { errors: [new GraphQLError('Authentication required', { extensions: { code: 'UNAUTHENTICATED' } })] };
    const variables = (args.variableValues ?? {}) as Record<string, unknown>;
    let plan: ReturnType<typeof planSubscription>;
    try {
      plan = planSubscription(args.document, args.operationName, variables);
    } catch (error) {
      return { errors: [new GraphQLError((error as Error).message, { extensions: { code: 'BAD_USER_INPUT' } })] };
    }
    let remove = () => {};
    if (plan.field === 'slotReleased') {
      const stream = pushIterator<ExecutionResult>(() => remove());
      // No personal data in the event: every signed-in subscriber whose filters match gets it, as is.
      remove = bus.listenSlots((event) => {
        if (plan.doctorId && plan.doctorId !== event.doctorId) return;
        if (plan.workplaceId && plan.workplaceId !== event.workplaceId) return;
        stream.push({ data: { [plan.rootKey]: plan.render(event as unknown as Record<string, unknown>, null) } });
      });
      return stream.iterator;
    }
    // graphql-ws completes this iterator when the client unsubscribes or the socket closes; until
    // then it yields nothing: events are written to the socket directly (below).
    const stream = pushIterator<ExecutionResult>(() => remove());
    // A graphql-ws `next` message, written here so that a group's answer is serialized once for all
    // its sockets rather than once per socket (graphql-ws stringifies every message itself).
    const prefix = `{"id":${JSON.stringify(ctx.id)},"type":"next","payload":`;
    try {
      remove = fanout.add(
        {
          user: state.user,
          authorization: state.authorization,
          expiresAt: state.expiresAt,
          unauthorized: () => ctx.socket.close(CLOSE_UNAUTHORIZED, 'Unauthorized: token expired'),
        },
        { schema: args.schema, document: args.document, operationName: args.operationName, variables, plan },
        (delivery) => {
          if (stream.ended() || ctx.socket.readyState !== ctx.socket.OPEN) return;
          ctx.socket.send(`${prefix}${delivery.json()}}`);
        },
      );
    } catch (error) {
      return { errors: [new GraphQLError((error as Error).message, { extensions: { code: 'BAD_USER_INPUT' } })] };
    }
    return stream.iterator;
  };

  const server = useServer<Record<string, unknown>, { state?: ConnectionState }>(
    {
      schema: () => schema(),
      context: (ctx, id) => ({ state: ctx.extra.state ?? {}, socket: ctx.extra.socket, id }),
      onConnect: async (ctx) => {
        if (!(await options.limits.admit(ctx.extra.request))) {
          ctx.extra.socket.close(CLOSE_RATE_LIMITED, 'Too many requests');
          return false;
        }
        const authorization = ctx.connectionParams?.authorization ?? ctx.connectionParams?.Authorization;
        try {
          const token = bearerToken(typeof authorization === 'string' ? authorization : undefined);
          if (!token) throw new AuthError('Authentication required');
          const user = await verifyToken(token);
          const expiresAt = tokenExpiry(token);
          (ctx.extra as { state?: ConnectionState }).state = { user, authorization: `Bearer ${token}`, expiresAt };
          options.limits.connected(ctx, user.id);
          closeAtExpiry(ctx.extra.socket, expiresAt);
          return true;
        } catch (error) {
          // Verification could not finish (revocations not loaded yet): "try again later" (1013),
          // not "unauthorized", so the client keeps its token and reconnects.
          if (error instanceof AuthUnavailableError) {
            ctx.extra.socket.close(1013, 'Try again later');
            return false;
          }
          if (!(error instanceof AuthError)) logger.warn({ err: (error as Error).message }, 'subscription auth failed');
          ctx.extra.socket.close(CLOSE_UNAUTHORIZED, 'Unauthorized: missing or invalid token');
          return false;
        }
      },
      onSubscribe: (ctx, _id, payload) => options.limits.check(ctx, ctx.extra.state?.user?.id, payload, schema()),
      onClose: (ctx) => options.limits.closed(ctx, ctx.extra.state?.user?.id),
      subscribe,
      // Only subscriptions come over the socket; queries and mutations use HTTP.
      execute: () => ({
        errors: [new GraphQLError('Use HTTP for queries and mutations', { extensions: { code: 'BAD_USER_INPUT' } })],
      }),
    },
    wsServer,
  );

  return {
    ready: bus.ready,
    fanout,
    stop: async () => {
      unsubscribeSchema();
      stopListening();
      for (const client of wsServer.clients) client.close(1001, 'Going away');
      await server.dispose();
      await new Promise<void>((resolve) => wsServer.close(() => resolve()));
      await bus.close();
    },
  };
}
