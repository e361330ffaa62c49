import http from 'node:http';
import { randomUUID } from 'node:crypto';
import express, { type Express, type Request } from 'express';
import { ApolloServer } from '@apollo/server';
import { expressMiddleware } from '@as-integrations/express5';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { ApolloServerPluginInlineTraceDisabled, ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import type { GraphQLSchema } from 'graphql';
import { AuthError, bearerToken, type AuthContext, type TokenVerifier } from '@hc/auth';
import type { Logger } from '@hc/logger';
import { UnauthenticatedError, withHttpStatus } from './errors.js';
import { createFormatError } from './format-error.js';
import { currentRequestId, requestStore, type BaseContext } from './context.js';
import { ServiceMetrics } from './metrics.js';
import { responseGatePlugin } from './response-gate.js';

export type ReadinessChecks = Record<string, () => Promise<unknown>>;

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

const REQUEST_ID_RE = /^[A-Za-z0-9._-]{1,64}$/;
export function requestIdOf(req: Request): string {
  const given = req.header('x-request-id');
  return given && REQUEST_ID_RE.test(given) ? given : randomUUID();
}

/** Runs the readiness checks; each one gets 2 s. */
export async function checkReadiness(checks: ReadinessChecks): Promise<{ ok: boolean; checks: Record<string, string> }> {
  const results: Record<string, string> = {};
  await Promise.all(
    Object.entries(checks).map(async ([name, check]) => {
      try {
        await Promise.race([check(), new Promise((_, reject) => setTimeout(() => reject(new Error('timeout')), 2_000).unref())]);
        results[name] = 'ok';
      } catch (error) {
        results[name] = `failing: ${(error as Error).message}`;
      }
    }),
  );
  return { ok: Object.values(results).every((r) => r === 'ok'), checks: results };
}

/** Adds GET /health (alive) and GET /ready (dependencies reachable). */
export function addHealthRoutes(app: Express, readiness: ReadinessChecks): void {
  app.get('/health', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.get('/ready', async (_req, res) => {
    const result = await checkReadiness(readiness);
    res.status(result.ok ? 200 : 503).json({ status: result.ok ? 'ready' : 'not ready', checks: result.checks });
  });
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
    throw error;
  }
}

/**
 * One subgraph's HTTP server: Apollo Server on /graphql (token verified again here, never
 * trusting identity headers), /health, /ready, graceful drain on stop.
 */
export async function createSubgraphServer<C extends BaseContext>(
  options: SubgraphServerOptions<C>,
): Promise<{
  listen: (port: number, host: string) => Promise<RunningServer>;
  app: Express;
}> {
  const app = express();
  app.disable('x-powered-by');
  const httpServer = http.createServer(app);
  httpServer.keepAliveTimeout = 65_000;
  const metrics = options.metrics ?? new ServiceMetrics(options.name);

  const apollo = new ApolloServer<C>({
    schema: options.schema,
    formatError: createFormatError({ logger: options.logger }),
    introspection: !options.production,
    csrfPrevention: true,
    allowBatchedHttpRequests: false,
    includeStacktraceInErrorResponses: false,
    logger: requestScopedLogger(options.logger),
    plugins: [
      ApolloServerPluginDrainHttpServer({ httpServer }),
      ApolloServerPluginInlineTraceDisabled(),
      metrics.plugin(),
      responseGatePlugin(options.name, options.logger),
      ...(options.production ? [ApolloServerPluginLandingPageDisabled()] : []),
    ],
  });
  await apollo.start();

  app.use((req, res, next) => {
    const requestId = requestIdOf(req);
    res.setHeader('x-request-id', requestId);
    requestStore.run({ requestId }, next);
  });
  addHealthRoutes(app, options.readiness);
  metrics.route(app);
  options.routes?.(app);
  app.use(
    '/graphql',
    express.json({ limit: '1mb' }),
    expressMiddleware(apollo, {
      context: async ({ req }) => {
        const requestId = requestStore.getStore()?.requestId ?? randomUUID();
        const auth = await authenticate(options.verifyToken, req.header('authorization'), requestId);
        const logger = options.logger.child({ requestId });
        return options.buildContext({ auth, requestId, logger, loaders: new Map() });
      },
    }),
  );

  return {
    app,
    listen: (port, host) =>
      new Promise((resolve, reject) => {
        httpServer.once('error', reject);
        httpServer.listen(port, host, () => {
          const address = httpServer.address() as { port: number };
          const url = `http://${host.includes(':') ? `[${host}]` : host}:${address.port}`;
          resolve({
            app,
            httpServer,
            port: address.port,
            url,
            stop: async () => {
              await apollo.stop();
            },
          });
        });
      }),
  };
}
