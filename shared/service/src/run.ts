import { createTokenVerifier, JwksKeyResolver, redisRevocationCheck } from '@hc/auth';
import { ConfigError, loadConfig, type CommonConfig } from '@hc/config';
import { createOrm, describeDbError, StatementCounter } from '@hc/db';
import { createSubgraphServer, ServiceMetrics, type BaseContext, type RunningServer } from '@hc/graphql';
import { createLogger, type Logger } from '@hc/logger';
import type { Redis } from 'ioredis';
import type { Orm } from '@hc/db';
import { createRedis, pingRedis } from './redis.js';
import { isClusterPrimary, superviseWorkers, workerCount } from './cluster.js';
import type { SubgraphDefinition, SubgraphDeps } from './definition.js';

/** BullMQ queues a service consumes (see QUEUES in @hc/jobs), for the queue_jobs gauge. */
const CONSUMED_QUEUES: Record<string, string[]> = {
  auth: ['auth-events'],
  doctor: ['doctor-events'],
  notification: ['notifications', 'notification-events'],
  pharmacy: ['pharmacy-events'],
};

/** Job counts read straight from BullMQ's keys (one pipeline per scrape, no Queue objects). */
async function queueCounts(redis: Redis, prefix: string, queues: string[]) {
  const lists = ['wait', 'active', 'paused'];
  const sets = ['delayed', 'prioritized', 'failed'];
  const pipeline = redis.pipeline();
  for (const q of queues) {
    for (const l of lists) pipeline.llen(`${prefix}:${q}:${l}`);
    for (const z of sets) pipeline.zcard(`${prefix}:${q}:${z}`);
  }
  const replies = (await pipeline.exec()) ?? [];
  const result: Record<string, Record<string, number>> = {};
  let i = 0;
  for (const q of queues) {
    result[q] = {};
    for (const state of [...lists, ...sets]) result[q][state] = Number(replies[i++]?.[1] ?? 0);
  }
  return result;
}

export interface StartedSubgraph {
  server: RunningServer;
  orm: Orm;
  redis: Redis;
  logger: Logger;
  counter: StatementCounter;
  stop: () => Promise<void>;
}

interface PgPoolLike {
  totalCount: number;
  idleCount: number;
  waitingCount: number;
}

/** Fails start-up with one readable line instead of a stack trace. */
export class StartupError extends Error {
  override name = 'StartupError';
}

/**
 * Starts a subgraph from an already-validated config: database (created and migrated when
 * MIGRATE_ON_START), Redis, HTTP server. Used by main.ts and by the test harness.
 */
export async function startSubgraph<
  Cfg extends CommonConfig & { DATABASE_URL: string; DATABASE_POOL_MAX: number; MIGRATE_ON_START: boolean },
  C extends BaseContext,
>(
  def: SubgraphDefinition<Cfg, C>,
  config: Cfg,
  overrides: Partial<Pick<SubgraphDeps, 'verifyToken' | 'logger'>> & { port?: number } = {},
): Promise<StartedSubgraph> {
  const logger = overrides.logger ?? createLogger(def.name, config);
  const counter = new StatementCounter();
  let orm: Orm;
  try {
    orm = await createOrm({
      databaseUrl: config.DATABASE_URL,
      poolMax: config.DATABASE_POOL_MAX,
      entities: def.entities,
      migrations: def.migrations,
      logger,
      counter,
      migrate: config.MIGRATE_ON_START,
    });
  } catch (error) {
    throw new StartupError(describeDbError(error, config.DATABASE_URL));
  }
  try {
    await pingRedis(config.REDIS_URL);
  } catch (error) {
    await orm.close();
    throw new StartupError((error as Error).message);
  }
  const redis = createRedis(config.REDIS_URL, { maxRetriesPerRequest: 2 });
  redis.on('error', (err) => logger.warn({ err: err.message }, 'redis connection error'));

  const verifyToken =
    overrides.verifyToken ??
    createTokenVerifier({
      keys: new JwksKeyResolver(config.AUTH_JWKS_URL),
      issuer: config.JWT_ISSUER,
      audience: config.JWT_AUDIENCE,
      // Password change/reset voids earlier access tokens everywhere (auth writes the marker).
      isRevoked: redisRevocationCheck(redis, config.REDIS_PREFIX),
    });
  const runtime = await def.createRuntime(config, { orm, redis, logger, counter, verifyToken });
  const metrics = new ServiceMetrics(def.name);
  metrics.statements(() => counter.total);
  metrics.databasePool(async () => {
    const pool = (await (orm.em.getConnection() as unknown as { getNativeClient(): Promise<PgPoolLike> }).getNativeClient()) as
      PgPoolLike | undefined;
    return pool ? { total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount } : undefined;
  });
  const queues = CONSUMED_QUEUES[def.name] ?? [];
  if (queues.length) metrics.queues(() => queueCounts(redis, config.REDIS_PREFIX, queues));
  const http = await createSubgraphServer<C>({
    name: def.name,
    schema: runtime.schema,
    logger,
    verifyToken: runtime.verifyToken ?? verifyToken,
    buildContext: runtime.buildContext,
    production: config.NODE_ENV === 'production',
    routes: runtime.routes,
    metrics,
    readiness: {
      database: () => orm.em.getConnection().execute('select 1'),
      redis: () => redis.ping(),
    },
  });
  const server = await http.listen(overrides.port ?? def.port(config), config.HOST);
  // Started outside any request: their polling is not counted as request statements.
  for (const b of runtime.background ?? []) await StatementCounter.background(() => b.start());
  logger.info({ url: `${server.url}/graphql` }, `${def.name} subgraph ready`);

  let stopped = false;
  return {
    server,
    orm,
    redis,
    logger,
    counter,
    stop: async () => {
      if (stopped) return;
      stopped = true;
      await server.stop();
      for (const b of [...(runtime.background ?? [])].reverse()) await b.stop();
      await orm.close();
      redis.disconnect();
    },
  };
}

/** main.ts entry: reads env once, starts, stops cleanly on SIGTERM/SIGINT, exits 1 with a clear message on bad config. */
export async function runSubgraph<
  Cfg extends CommonConfig & {
    DATABASE_URL: string;
    DATABASE_POOL_MAX: number;
    MIGRATE_ON_START: boolean;
    SUBGRAPH_WORKERS?: number | 'auto';
  },
  C extends BaseContext,
>(def: SubgraphDefinition<Cfg, C>, env: Record<string, string | undefined>): Promise<void> {
  let started: StartedSubgraph;
  try {
    const config = loadConfig(def.envSchema, env);
    const workers = workerCount(config.SUBGRAPH_WORKERS ?? 1);
    if (workers > 1 && isClusterPrimary()) {
      // Migrate once here, then fork workers that skip it (several migrators would race).
      if (config.MIGRATE_ON_START) {
        const orm = await createOrm({
          databaseUrl: config.DATABASE_URL,
          entities: def.entities,
          migrations: def.migrations,
          migrate: true,
        }).catch((error) => {
          throw new StartupError(describeDbError(error, config.DATABASE_URL));
        });
        await orm.close();
      }
      superviseWorkers(workers, createLogger(def.name, config), { MIGRATE_ON_START: 'false' });
      return;
    }
    started = await startSubgraph(def, config);
  } catch (error) {
    if (error instanceof ConfigError || error instanceof StartupError) {
      process.stderr.write(`[${def.name}] ${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
  const shutdown = async (signal: string) => {
    started.logger.info({ signal }, 'shutting down');
    const timer = setTimeout(() => process.exit(1), 15_000).unref();
    await started.stop();
    clearTimeout(timer);
    process.exit(0);
  };
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
  process.once('SIGINT', () => void shutdown('SIGINT'));
}
