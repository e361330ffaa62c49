import type http from 'node:http';
import { randomUUID } from 'node:crypto';
import type { Express } from 'express';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { ApolloServerPluginInlineTraceDisabled, ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import type { GraphQLSchema } from 'graphql';
import { AuthError, AuthUnavailableError, bearerToken, type AuthContext, type TokenVerifier } from '@hc/auth';
import type { Logger } from '@hc/logger';
import { ServiceUnavailableError, UnauthenticatedError, withHttpStatus } from './errors.js';
import { createFormatError } from './format-error.js';
import { currentRequestId, requestStore, type BaseContext } from './context.js';
import { ServiceMetrics } from './metrics.js';
import { createHttpShell, type ReadinessChecks } from './http-shell.js';
import { responseGatePlugin } from './response-gate.js';
import { gatewaySignatureGuard, verifiedClientAddress } from './gateway-signature.js';
import { apolloMiddleware } from './express-middleware.js';
import { subgraphDocumentLimits, type DocumentLimitsConfig } from './document-limits.js';

export interface SubgraphServerOptions<C extends BaseContext> {
  name: string;
  schema: GraphQLSchema;
  logger: Logger;
  verifyToken: TokenVerifier;
  /** Adds the subgraph's own members (forked EntityManager, ...) to the base context. */
  buildContext: (base: BaseContext) => C | Promise<C>;
  readiness: ReadinessChecks;
  production: boolean;
  /** Extra HTTP routes (e.g. auth's JWKS), mounted before /graphql. */
  routes?: (app: Express) => void;
  /** Prometheus registry served on GET /metrics (default: requests and durations only). */
  metrics?: ServiceMetrics;
  /** Bearer token that opens /metrics and the detailed /ready (else open only outside production). */
  metricsToken?: string;
  /** SUBGRAPH_SHARED_SECRET: /graphql answers only requests the gateway signed with it (unset: any caller). */
  sharedSecret?: string;
  /** The gateway's document limits (depth, aliases, tokens, directives, root fields), applied here too. */
  documentLimits: DocumentLimitsConfig;
}

export interface RunningServer {
  app: Express;
  httpServer: http.Server;
  url: string;
  port: number;
  stop: () => Promise<void>;
}

/**
 * The logger handed to Apollo Server and Apollo Gateway: their own lines (plugin failures,
 * subgraph fetch problems) carry the request id of the request they happen in, like ours.
 */
export function requestScopedLogger(logger: Logger) {
  const scoped = () => {
    const requestId = currentRequestId();
    return requestId ? logger.child({ requestId }) : logger;
  };
  return {
    debug: (message: unknown) => scoped().debug(String(message)),
    info: (message: unknown) => scoped().info(String(message)),
    warn: (message: unknown) => scoped().warn(String(message)),
    error: (message: unknown) => scoped().error(String(message)),
  };
}

/** Verifies the bearer token of a request into an AuthContext (anonymous when absent). */
export async function authenticate(
  verifyToken: TokenVerifier,
  authorization: string | undefined,
  requestId: string,
): Promise<AuthContext> {
  try {
    const token = bearerToken(authorization);
    if (!token) return { user: null, requestId };
    return { user: await verifyToken(token), requestId, authorization };
  } catch (error) {
    // A bad token is the whole answer (no field can run): HTTP 401, at the gateway and in subgraphs.
    if (error instanceof AuthError) throw withHttpStatus(new UnauthenticatedError(error.message), 401);
    // Verification could not finish (revocations not loaded): the token may be fine, so 503, not 401.
    if (error instanceof AuthUnavailableError) throw withHttpStatus(new ServiceUnavailableError(), 503);
    throw error;
  }
}

/**
 * One subgraph's HTTP server: Apollo Server on /graphql behind the gateway signature check
 * (gateway-signature.ts) and the gateway's document limits, the token verified again here (never
 * trusting identity headers), /health, /ready, graceful drain on stop.
 */
export async function createSubgraphServer<C extends BaseContext>(
  options: SubgraphServerOptions<C>,
): Promise<{
  listen: (port: number, host: string) => Promise<RunningServer>;
  app: Express;
}> {
  const metrics = options.metrics ?? new ServiceMetrics(options.name);
  const shell = createHttpShell({
    readiness: options.readiness,
    metrics,
    ops: { production: options.production, host: '127.0.0.1', metricsToken: options.metricsToken },
  });
  const { app, httpServer } = shell;

  const limits = subgraphDocumentLimits(options.documentLimits);
  const apollo = new ApolloServer<C>({
    schema: options.schema,
    validationRules: limits.validationRules,
    parseOptions: limits.parseOptions,
    formatError: createFormatError({ logger: options.logger }),
    introspection: !options.production,
    csrfPrevention: true,
    allowBatchedHttpRequests: false,
    includeStacktraceInErrorResponses: false,
    logger: requestScopedLogger(options.logger),
    // Our process lifecycle (shared/service runProcess) owns SIGTERM: Apollo's own handler would
    // stop the server and re-raise the signal before the relay and consumers were stopped.
    stopOnTerminationSignals: false,
    plugins: [
      ApolloServerPluginDrainHttpServer({ httpServer }),
      ApolloServerPluginInlineTraceDisabled(),
      metrics.plugin(),
      responseGatePlugin(options.name, options.logger),
      ...limits.plugins,
      ...(options.production ? [ApolloServerPluginLandingPageDisabled()] : []),
    ],
  });
  await apollo.start();

  options.routes?.(app);
  app.use(
    '/graphql',
    // Signature first: an unsigned, stale or forged request is refused before GraphQL sees it.
    ...gatewaySignatureGuard({ secret: options.sharedSecret, limit: '1mb' }),
    apolloMiddleware(apollo, {
      context: async ({ req }) => {
        const requestId = requestStore.getStore()?.requestId ?? randomUUID();
        const auth = await authenticate(options.verifyToken, req.header('authorization'), requestId);
        const logger = options.logger.child({ requestId });
        const clientAddress = verifiedClientAddress(req);
        return options.buildContext({ auth, requestId, logger, loaders: new Map(), clientAddress });
      },
    }),
  );

  return {
    app,
    listen: async (port, host) => {
      const { url, port: actual } = await shell.listen(port, host);
      return {
        app,
        httpServer,
        port: actual,
        url,
        stop: async () => {
          // The drain plugin closes the listener and waits for requests in flight.
          await apollo.stop();
          await shell.close();
        },
      };
    },
  };
}
