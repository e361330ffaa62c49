import type http from 'node:http';
import { randomUUID } from 'node:crypto';
import { WebSocketServer, type WebSocket } from 'ws';
import { useServer } from 'graphql-ws/use/ws';
import { GraphQLError, type ExecutionArgs, type ExecutionResult, type GraphQLSchema } from 'graphql';
import type { ApolloServer } from '@apollo/server';
import type { ApolloGateway } from '@apollo/gateway';
import { AuthError, AuthUnavailableError, bearerToken, type AuthUser, type TokenVerifier } from '@hc/auth';
import type { AppointmentChangedEvent } from '@hc/graphql/shell';
import type { Logger } from '@hc/logger';
import type { GatewayContext } from '../context.js';
import { AppointmentEventBus } from './event-bus.js';
import { APPOINTMENT_ID_VARIABLE, planSubscription } from './selection.js';
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
}

interface ConnectionState {
  user?: AuthUser;
  authorization?: string;
}

/**
 * A socket must not outlive its access token: close it with 4401 when the (already verified)
 * token expires, so the client reconnects with a fresh one.
 */
function closeAtExpiry(socket: WebSocket, token: string): void {
  let exp: unknown;
  try {
    exp = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString()).exp;
  } catch {
    return;
  }
  if (typeof exp !== 'number') return;
  const timer = setTimeout(
    () => socket.close(CLOSE_UNAUTHORIZED, 'Unauthorized: token expired'),
    Math.max(0, exp * 1000 - Date.now()),
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
  };
}

/**
 * Serves `Subscription.appointmentUpdated` and `Subscription.slotReleased` over graphql-ws on the gateway's HTTP server
 * (@apollo/gateway cannot execute subscriptions, and subscriptions never go to subgraphs).
 * The token comes in connectionParams.authorization and is verified like HTTP; a missing or
 * bad token closes the socket with 4401. Each event from Redis is delivered only to
 * subscribers listed in the event (patient, doctor, assigned assistants) and matching the
 * filters; the subscriber's appointment selection is then resolved through the supergraph
 * with the subscriber's own token, so subgraphs authorize it again. A slotReleased event names a
 * time, never a person: it goes to every signed-in subscriber whose filters match, rendered from
 * the event alone (no subgraph request). Call before `apollo.start()`
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

  const resolveFor = async (
    state: ConnectionState,
    socket: WebSocket,
    plan: ReturnType<typeof planSubscription>,
    event: AppointmentChangedEvent,
  ): Promise<ExecutionResult | null> => {
    let data: Record<string, unknown> | null = null;
    let errors: readonly GraphQLError[] | undefined;
    if (plan.query) {
      const requestId = randomUUID();
      const response = await apollo.executeOperation(
        { query: plan.query, variables: { ...plan.variables, [APPOINTMENT_ID_VARIABLE]: event.appointmentId } },
        {
          contextValue: {
            auth: { user: state.user!, requestId, authorization: state.authorization },
            requestId,
            logger: logger.child({ requestId }),
            // Generated by the gateway from an accepted subscription: the safelist does not apply.
            internal: true,
          } as GatewayContext,
        },
      );
      if (response.body.kind !== 'single') return null;
      const result = response.body.singleResult;
      const codes = (result.errors ?? []).map((e) => e.extensions?.code);
      if (codes.includes('UNAUTHENTICATED')) {
        socket.close(CLOSE_UNAUTHORIZED, 'Unauthorized: token expired');
        return null;
      }
      errors = result.errors?.map((e) => new GraphQLError(e.message, { path: e.path, extensions: e.extensions }));
      // Not (or no longer) visible to this subscriber: nothing to deliver.
      if (codes.includes('NOT_FOUND')) return null;
      // Refused before execution (e.g. the gateway's query limits): tell the subscriber why.
      if (!result.data) return errors?.length ? { errors } : null;
      data = result.data as Record<string, unknown>;
      if (Object.values(data).some((v) => v == null)) return null;
    }
    return {
      data: { [plan.rootKey]: plan.render(event as unknown as Record<string, unknown>, data) },
      ...(errors?.length ? { errors } : {}),
    };
  };

  const subscribe = async (args: ExecutionArgs): Promise<AsyncIterable<ExecutionResult> | ExecutionResult> => {
    const ctx = args.contextValue as { state: ConnectionState; socket: WebSocket };
    const state = ctx.state;
    if (!state.user)
      return { errors: [new GraphQLError('Authentication required', { extensions: { code: 'UNAUTHENTICATED' } })] };
    let plan: ReturnType<typeof planSubscription>;
    try {
      plan = planSubscription(args.document, args.operationName, (args.variableValues ?? {}) as Record<string, unknown>);
    } catch (error) {
      return { errors: [new GraphQLError((error as Error).message, { extensions: { code: 'BAD_USER_INPUT' } })] };
    }
    let stopListening = () => {};
    const stream = pushIterator<ExecutionResult>(() => stopListening());
    if (plan.field === 'slotReleased') {
      // No personal data in the event: every signed-in subscriber whose filters match gets it, as is.
      stopListening = bus.listenSlots((event) => {
        if (plan.doctorId && plan.doctorId !== event.doctorId) return;
        if (plan.workplaceId && plan.workplaceId !== event.workplaceId) return;
        stream.push({ data: { [plan.rootKey]: plan.render(event as unknown as Record<string, unknown>, null) } });
      });
      return stream.iterator;
    }
    // Events resolve one after another per subscriber, so they arrive in publish order.
    let chain = Promise.resolve();
    stopListening = bus.listen((event) => {
      const userId = state.user?.id;
      if (!userId || !event.allowedUserIds.includes(userId)) return;
      if (plan.doctorId && plan.doctorId !== event.doctorId) return;
      if (plan.workplaceId && plan.workplaceId !== event.workplaceId) return;
      chain = chain
        .then(() => resolveFor(state, ctx.socket, plan, event))
        .then((result) => {
          if (result) stream.push(result);
        })
        .catch((err: Error) => logger.warn({ err: err.message }, 'subscription event not delivered'));
    });
    return stream.iterator;
  };

  const server = useServer<Record<string, unknown>, { state?: ConnectionState }>(
    {
      schema: () => schema(),
      context: (ctx) => ({ state: ctx.extra.state ?? {}, socket: ctx.extra.socket }),
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
          (ctx.extra as { state?: ConnectionState }).state = { user, authorization: `Bearer ${token}` };
          options.limits.connected(ctx, user.id);
          closeAtExpiry(ctx.extra.socket, token);
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
    stop: async () => {
      unsubscribeSchema();
      for (const client of wsServer.clients) client.close(1001, 'Going away');
      await server.dispose();
      await new Promise<void>((resolve) => wsServer.close(() => resolve()));
      await bus.close();
    },
  };
}
