import type http from 'node:http';
import { readFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import express from 'express';
import { ApolloServer } from '@apollo/server';
import { ApolloGateway } from '@apollo/gateway';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { ApolloServerPluginLandingPageLocalDefault } from '@apollo/server/plugin/landingPage/default';
import { createRedis, type GatewayConfig } from '@hc/config';
import type { AuthUser, TokenVerifier } from '@hc/auth';
import {
  apolloMiddleware,
  createFormatError,
  createHttpShell,
  requestScopedLogger,
  requestStore,
  serviceUnavailableStatusPlugin,
  ServiceMetrics,
} from '@hc/graphql/shell';
import { createLogger, type Logger } from '@hc/logger';
import { createLimits } from './limits.js';
import { RedisKeyValueCache } from './redis-cache.js';
import { responseCachePlugins } from './response-cache.js';
import { apqSizePlugin, loadSafelist, SafelistCache, safelistPlugin } from './persisted-queries.js';
import { createClientAddress } from './client-address.js';
import { createRateLimits } from './rate-limit.js';
import { corsMiddleware } from './surface.js';
import { createWsLimits } from './ws-limits.js';
import { createSubgraphFetcher } from './subgraph-fetcher.js';
import { authenticateRequest, createGatewayVerifier } from './auth.js';
import { ForwardingDataSource } from './data-source.js';
import type { GatewayContext } from './context.js';
import { attachSubscriptions } from './subscriptions/index.js';

export const DEFAULT_SUPERGRAPH_PATH = new URL('../supergraph.graphql', import.meta.url).pathname;

export interface GatewayOptions {
  logger?: Logger;
  verifyToken?: TokenVerifier;
  supergraphSdl?: string;
  /** Prometheus registry (default: a new one named "gateway"). */
  metrics?: ServiceMetrics;
}

export interface RunningGateway {
  url: string;
  port: number;
  /** The METRICS_PORT listener's port, when one is configured. */
  opsPort?: number;
  httpServer: http.Server;
  stop: () => Promise<void>;
}

/** Subgraph URLs from config, by the names used in the supergraph. */
export function subgraphUrls(config: GatewayConfig): Record<string, string> {
  return {
    auth: config.AUTH_URL,
    doctor: config.DOCTOR_URL,
    notification: config.NOTIFICATION_URL,
    pharmacy: config.PHARMACY_URL,
  };
}

/** GET <subgraph>/ready: the subgraph answers and its own dependencies (database, Redis) do. */
async function subgraphReady(url: string): Promise<void> {
  const res = await fetch(new URL('/ready', url), { signal: AbortSignal.timeout(1_500) });
  if (!res.ok) throw new Error(`HTTP ${res.status}`);
}

/**
 * The gateway: Apollo Gateway over the static supergraph, one token verification per request,
 * Sandbox in development, /health and /ready. No env reads: config comes in.
 */
export async function createGateway(config: GatewayConfig, options: GatewayOptions = {}) {
  const logger = options.logger ?? createLogger('gateway', config);
  const production = config.NODE_ENV === 'production';
  const urls = subgraphUrls(config);
  const ownVerifier = options.verifyToken ? undefined : createGatewayVerifier(config, logger);
  const verifyToken = options.verifyToken ?? ownVerifier!.verify;
  const supergraphSdl = options.supergraphSdl ?? readFileSync(config.SUPERGRAPH_PATH ?? DEFAULT_SUPERGRAPH_PATH, 'utf8');

  const metrics = options.metrics ?? new ServiceMetrics('gateway');
  const fetchers = createSubgraphFetcher({
    maxSockets: config.SUBGRAPH_MAX_SOCKETS,
    dedupe: config.SUBGRAPH_DEDUPE,
    metrics,
    sharedSecret: config.SUBGRAPH_SHARED_SECRET,
  });
  // Request-path Redis (rate limits): fail fast rather than queue while Redis is down.
  const redis = createRedis(config.REDIS_URL, { maxRetriesPerRequest: 1, connectTimeout: 3_000, enableOfflineQueue: false });
  redis.on('error', (err) => logger.warn({ err: err.message }, 'gateway redis error'));
  // APQ and the response cache: their own Redis (maxmemory + allkeys-lru), never the job Redis.
  const cacheRedis = config.CACHE_REDIS_URL
    ? createRedis(config.CACHE_REDIS_URL, { maxRetriesPerRequest: 1, connectTimeout: 3_000, enableOfflineQueue: false })
    : redis;
  if (cacheRedis !== redis) cacheRedis.on('error', (err) => logger.warn({ err: err.message }, 'gateway cache redis error'));
  const safelist = config.PERSISTED_QUERIES_SAFELIST ? loadSafelist(config.PERSISTED_QUERIES_SAFELIST) : undefined;
  const limits = createLimits(config);
  const clientAddress = createClientAddress(config.TRUSTED_PROXIES);
  const rateLimits = createRateLimits(config, redis, metrics);

  const gateway = new ApolloGateway({
    supergraphSdl,
    buildService: ({ name, url }) =>
      new ForwardingDataSource({
        url: urls[name] ?? url,
        fetcher: fetchers.forSubgraph(name) as never,
        // Subgraphs answer no-store; cacheability is decided here from the hints (response-cache.ts).
        honorSubgraphCacheControlHeader: false,
      }),
    experimental_approximateQueryPlanStoreMiB: config.QUERY_PLAN_CACHE_MIB,
    logger: requestScopedLogger(logger),
  });

  const shell = createHttpShell({
    metrics,
    ops: { production, host: config.HOST, metricsPort: config.METRICS_PORT, metricsToken: config.METRICS_TOKEN },
    // Its own Redis (rate limits, pub/sub), the revocation markers, and each subgraph's /ready.
    readiness: {
      redis: () => redis.ping(),
      ...(ownVerifier ? { revocations: () => ownVerifier.revocations.check() } : {}),
      ...Object.fromEntries(Object.entries(urls).map(([name, url]) => [name, () => subgraphReady(url)])),
    },
  });
  const { app, httpServer } = shell;

  const apollo = new ApolloServer<GatewayContext>({
    gateway,
    formatError: createFormatError({ logger }),
    introspection: !production,
    csrfPrevention: true,
    allowBatchedHttpRequests: false,
    includeStacktraceInErrorResponses: false,
    validationRules: limits.validationRules,
    parseOptions: limits.parseOptions,
    persistedQueries: {
      cache: safelist ? new SafelistCache(safelist) : new RedisKeyValueCache(cacheRedis, `${config.REDIS_PREFIX}:gw:`),
      ttl: config.APQ_TTL_SECONDS,
    },
    logger: requestScopedLogger(logger),
    // The process lifecycle (runProcess in gateway/src/main.ts) owns SIGTERM, see shared/graphql.
    stopOnTerminationSignals: false,
    plugins: [
      ApolloServerPluginDrainHttpServer({ httpServer }),
      metrics.plugin(),
      serviceUnavailableStatusPlugin(),
      ...limits.plugins,
      ...(safelist ? [safelistPlugin(safelist)] : [apqSizePlugin(config.APQ_MAX_BYTES)]),
      // Off by default under NODE_ENV=test: tests that write then read would see cached answers.
      ...((config.RESPONSE_CACHE ?? config.NODE_ENV !== 'test')
        ? responseCachePlugins(
            new RedisKeyValueCache(cacheRedis, `${config.REDIS_PREFIX}:gw:`),
            config.RESPONSE_CACHE_MAX_AGE_SECONDS,
          )
        : []),
      production
        ? ApolloServerPluginLandingPageDisabled()
        : ApolloServerPluginLandingPageLocalDefault({
            embed: true,
            includeCookies: false,
            document:
              '# Set the Authorization header to "Bearer <accessToken>" for signed-in operations.\nquery Directory {\n  doctors(first: 5) {\n    nodes { id specialization user { name } }\n    totalCount\n  }\n}\n',
          }),
    ],
  });
  // graphql-ws on the same server and path; events from Redis, fields resolved through `apollo`.
  const subscriptions = attachSubscriptions({
    httpServer,
    gateway,
    apollo,
    verifyToken,
    ...(ownVerifier ? { isRevoked: (user: AuthUser) => ownVerifier.revocations.isRevoked(user) } : {}),
    logger,
    redisUrl: config.REDIS_URL,
    redisPrefix: config.REDIS_PREFIX,
    limits: createWsLimits(config, limits, metrics, {
      safelist,
      admitAddress: (req) =>
        rateLimits.checkAddress(clientAddress(req.socket.remoteAddress, req.headers['x-forwarded-for']), 'ws'),
    }),
  });
  await apollo.start();
  // First load of the revocation markers (never throws: until it succeeds, signed-in requests
  // answer SERVICE_UNAVAILABLE and /ready says so).
  await ownVerifier?.start();

  app.use(corsMiddleware(config.CORS_ORIGINS));

  const graphql = apolloMiddleware(apollo, {
    context: async ({ req }): Promise<GatewayContext> => {
      const requestId = requestStore.getStore()?.requestId ?? randomUUID();
      const clientIp = clientAddress(req.socket.remoteAddress, req.headers['x-forwarded-for']);
      await rateLimits.checkAddress(clientIp);
      const auth = await authenticateRequest(verifyToken, req.header('authorization'), requestId);
      await rateLimits.checkUser(auth.user?.id);
      // The request's child logger is made on first use: most requests never log, and a pino
      // child (bindings through the redaction) is a visible share of the CPU per request.
      let child: Logger | undefined;
      return {
        auth,
        requestId,
        get logger() {
          return (child ??= logger.child({ requestId }));
        },
        clientIp,
      };
    },
  });
  app.use('/graphql', express.json({ limit: '1mb' }), graphql);
  // Sandbox at / in development; the same endpoint answers GraphQL POSTs.
  app.use('/', express.json({ limit: '1mb' }), graphql);

  return {
    app,
    httpServer,
    metrics,
    listen: async (port: number, host: string): Promise<RunningGateway> => {
      const listening = await shell.listen(port, host);
      return {
        url: listening.url,
        port: listening.port,
        opsPort: listening.opsPort,
        httpServer,
        stop: async () => {
          // Drains in-flight HTTP (the drain plugin), then closes what the requests used.
          await subscriptions.stop();
          await apollo.stop();
          await shell.close();
          await fetchers.close();
          redis.disconnect();
          if (cacheRedis !== redis) cacheRedis.disconnect();
          ownVerifier?.close();
        },
      };
    },
  };
}
