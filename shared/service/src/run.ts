import { createTokenVerifier, httpRevocationSource, revocationChannel, RevocationCache } from '@hc/auth';
import { loadConfig, type CommonConfig } from '@hc/config';
import { createOrm, describeDbError, outboxRetention, retentionTask, StatementCounter } from '@hc/db';
import { createSubgraphServer, ServiceMetrics, type BaseContext, type RunningServer } from '@hc/graphql';
import { createLogger, type Logger } from '@hc/logger';
import { createEventConsumer, OutboxRelay, reconcileSettings } from '@hc/jobs';
import type { KeyResolver, RevocationSource } from '@hc/auth';
import type { Redis } from 'ioredis';
import type { Orm } from '@hc/db';
import { createRedis, pingRedis } from './redis.js';
import { isClusterPrimary, superviseWorkers, workerCount } from './cluster.js';
import { runProcess, StartupError } from './lifecycle.js';
import type { BackgroundTask, EventContext, SubgraphDefinition } from './definition.js';

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

/**
 * Starts a subgraph from an already-validated config: database (created and migrated when
 * MIGRATE_ON_START), Redis, HTTP server. Used by main.ts and by the test harness.
 */
export async function startSubgraph<
  Cfg extends CommonConfig & {
    DATABASE_URL: string;
    DATABASE_POOL_MAX: number;
    MIGRATE_ON_START: boolean;
    DB_STATEMENT_SAMPLES_FILE?: string;
  },
  C extends BaseContext,
>(
  def: SubgraphDefinition<Cfg, C>,
  config: Cfg,
  overrides: {
    logger?: Logger;
    port?: number;
    /** Verification keys instead of auth's JWKS (tests). */ tokenKeys?: KeyResolver;
    /**
     * Revocation markers from here instead of auth's endpoint (tests); `null` = no revocation
     * check. A subgraph tested alone with `tokenKeys` has no auth to ask: it defaults to `null`.
     */
    revocationSource?: RevocationSource | null;
  } = {},
): Promise<StartedSubgraph> {
  const logger = overrides.logger ?? createLogger(def.name, config);
  const counter = new StatementCounter();
  const samplesFile = config.DB_STATEMENT_SAMPLES_FILE;
  if (samplesFile) {
    counter.sample();
    process.once('exit', () => counter.writeSamples(samplesFile));
    // A benchmark takes a snapshot mid-run (before and after its measured window) with SIGUSR2.
    process.on('SIGUSR2', () => counter.writeSamples(samplesFile));
  }
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

  const metrics = new ServiceMetrics(def.name);
  const runtime = await def.createRuntime(config, { orm, redis, logger, counter, metrics });
  // Password change/reset voids earlier access tokens everywhere: the markers are held in memory
  // (no Redis read per request), loaded from auth and kept current by pub/sub (shared/auth).
  const source =
    runtime.revocationSource ??
    (overrides.revocationSource !== undefined
      ? overrides.revocationSource
      : overrides.tokenKeys
        ? null
        : httpRevocationSource(new URL('/internal/revocations', config.AUTH_JWKS_URL).toString(), config.INTERNAL_SECRET));
  let revocations: RevocationCache | undefined;
  if (source) {
    const subscriber = createRedis(config.REDIS_URL);
    subscriber.on('error', () => undefined);
    revocations = new RevocationCache({
      source,
      subscriber,
      channel: revocationChannel(config.REDIS_PREFIX),
      pollSeconds: config.REVOCATION_POLL_SECONDS,
      logger,
    });
    runtime.onRevocationCache?.(revocations);
    await revocations.start();
  }
  const verifyToken = createTokenVerifier({
    keys: runtime.tokenKeys ?? overrides.tokenKeys ?? { jwksUrl: config.AUTH_JWKS_URL },
    issuer: config.JWT_ISSUER,
    audience: config.JWT_AUDIENCE,
    revocation: revocations,
  });
  const background = backgroundOf(def, config, { orm, redis, logger });
  background.push(...(runtime.background ?? []));
  metrics.statements(() => counter.total);
  metrics.databasePool(async () => {
    const pool = (await (orm.em.getConnection() as unknown as { getNativeClient(): Promise<PgPoolLike> }).getNativeClient()) as
      PgPoolLike | undefined;
    return pool ? { total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount } : undefined;
  });
  const queues = [...(def.consumes ?? []).map((c) => c.queue), ...(def.observedQueues ?? [])];
  if (queues.length) metrics.queues(() => queueCounts(redis, config.REDIS_PREFIX, queues));
  const http = await createSubgraphServer<C>({
    name: def.name,
    schema: runtime.schema,
    logger,
    verifyToken,
    buildContext: runtime.buildContext,
    production: config.NODE_ENV === 'production',
    metricsToken: config.METRICS_TOKEN,
    sharedSecret: config.SUBGRAPH_SHARED_SECRET,
    documentLimits: config,
    routes: runtime.routes,
    metrics,
    readiness: {
      database: () => orm.em.getConnection().execute('select 1'),
      redis: () => redis.ping(),
      ...(revocations ? { revocations: () => revocations.check() } : {}),
    },
  });
  const server = await http.listen(overrides.port ?? def.port(config), config.HOST);
  // Started outside any request: their polling is not counted as request statements.
  for (const b of background) await StatementCounter.background(() => b.start());
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
      for (const b of [...background].reverse()) await b.stop();
      revocations?.stop();
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
  await runProcess({
    name: def.name,
    start: async () => {
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
        const logger = createLogger(def.name, config);
        const supervisor = superviseWorkers(workers, logger, { MIGRATE_ON_START: 'false' });
        return { logger, stopSteps: [{ name: 'workers', stop: supervisor.stop }], stopTimeoutMs: 20_000 };
      }
      const started = await startSubgraph(def, config);
      return { logger: started.logger, stopSteps: [{ name: def.name, stop: started.stop }] };
    },
  });
}

/**
 * The outbox relay and event consumers a definition declares, in start order (relay first: a
 * handler may write outbox rows; stopped last, so it still publishes what the consumers wrote).
 */
function backgroundOf<Cfg extends CommonConfig & { DATABASE_URL: string }>(
  def: Pick<SubgraphDefinition<Cfg>, 'name' | 'outboxRelay' | 'consumes' | 'retention'>,
  config: Cfg,
  deps: { orm: Orm; redis: Redis; logger: Logger },
): BackgroundTask[] {
  const tasks: BackgroundTask[] = [];
  const relay = def.outboxRelay;
  if (relay === true || (relay && config[relay.flag] === true)) {
    const r = new OutboxRelay({
      orm: deps.orm,
      redisUrl: config.REDIS_URL,
      prefix: config.REDIS_PREFIX,
      logger: deps.logger,
      // Re-enqueues published rows whose job Redis lost (restart, failover), under the same id.
      reconcile: reconcileSettings(config as never),
    });
    tasks.push({ start: () => r.start(), stop: () => r.stop() });
  }
  // Settings of every subgraph's schema (shared/config subgraphEnv); the gateway has none.
  const keep = config as unknown as { RETENTION_OUTBOX_DAYS?: number; RETENTION_INTERVAL_SECONDS?: number };
  const rules = [
    ...(relay && keep.RETENTION_OUTBOX_DAYS ? [outboxRetention(keep.RETENTION_OUTBOX_DAYS)] : []),
    ...(def.retention?.(config) ?? []),
  ];
  if (rules.length && keep.RETENTION_INTERVAL_SECONDS) {
    const pruner = retentionTask({
      orm: deps.orm,
      logger: deps.logger,
      rules,
      intervalSeconds: keep.RETENTION_INTERVAL_SECONDS,
      lockKey: `retention:${def.name}`,
    });
    tasks.push(pruner);
  }
  const context: EventContext<Cfg> = { ...deps, config };
  for (const consumed of def.consumes ?? []) {
    const consumer = createEventConsumer({
      consumed,
      context,
      redisUrl: config.REDIS_URL,
      prefix: config.REDIS_PREFIX,
      logger: deps.logger,
    });
    tasks.push({ start: () => consumer.start(), stop: () => consumer.stop() });
  }
  return tasks;
}
