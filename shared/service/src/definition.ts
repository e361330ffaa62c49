import type { z } from 'zod';
import type { Redis } from 'ioredis';
import type { Express } from 'express';
import type { GraphQLSchema } from 'graphql';
import type { Orm, OrmOptions, StatementCounter } from '@hc/db';
import type { Logger } from '@hc/logger';
import type { KeyResolver, RevocationCache, RevocationSource } from '@hc/auth';
import type { BaseContext, BuiltSubgraph, ServiceMetrics } from '@hc/graphql';
import type { CommonConfig } from '@hc/config';
import type { RetentionRule } from '@hc/db';
import type { ConsumedQueue } from '@hc/jobs';

export interface SubgraphDeps {
  orm: Orm;
  redis: Redis;
  logger: Logger;
  counter: StatementCounter;
  /** The service's /metrics registry: a runtime adds its own series here. */
  metrics: ServiceMetrics;
}

/** What an event handler gets besides the event (and its BullMQ job). */
export interface EventContext<Cfg> {
  orm: Orm;
  redis: Redis;
  logger: Logger;
  config: Cfg;
}

/** Work started after the server listens and stopped (in reverse order) on shutdown. */
export interface BackgroundTask {
  start: () => Promise<void> | void;
  stop: () => Promise<void>;
}

export interface SubgraphRuntime<C extends BaseContext> {
  schema: GraphQLSchema;
  buildContext: (base: BaseContext) => C | Promise<C>;
  routes?: (app: Express) => void;
  /** Background work other than the outbox relay and event consumers (e.g. a delivery worker). */
  background?: BackgroundTask[];
  /** Where this subgraph gets token verification keys from instead of auth's JWKS (auth: its own keys). */
  tokenKeys?: KeyResolver;
  /** Where the revocation markers come from instead of auth's /internal/revocations (auth: its own database). */
  revocationSource?: RevocationSource;
  /** Called once the runner has built the revocation cache (auth applies its own markers at once). */
  onRevocationCache?: (cache: RevocationCache) => void;
}

/** Names of the boolean settings of a config (flags). */
export type FlagOf<Cfg> = { [K in keyof Cfg]: Cfg[K] extends boolean ? K : never }[keyof Cfg];

/**
 * What a subgraph declares; the shared runner (run.ts) and CLIs (cli.ts) do the rest, so the
 * four subgraphs do not repeat start-up, shutdown, relay, consumer and migration code.
 */
export interface SubgraphDefinition<Cfg extends CommonConfig & { DATABASE_URL: string }, C extends BaseContext = BaseContext> {
  name: string;
  envSchema: z.ZodType<Cfg>;
  port: (config: Cfg) => number;
  entities: OrmOptions['entities'];
  migrations: OrmOptions['migrations'];
  /** Absolute path of the migrations folder (for `migration:create`). */
  migrationsDir: string;
  /** Builds the federated schema; needs no database (used by emit-schema). */
  buildSchema: () => Promise<BuiltSubgraph>;
  /** Wires the runtime around an open ORM and Redis. */
  createRuntime: (config: Cfg, deps: SubgraphDeps) => Promise<SubgraphRuntime<C>>;
  /**
   * Runs an outbox relay (this subgraph writes an outbox): `true`, or the boolean setting that
   * turns it off (several instances can share one relay's work; none is needed when a deployment
   * runs it elsewhere).
   */
  outboxRelay?: true | { flag: FlagOf<Cfg> };
  /** The queues this subgraph consumes, with a handler per event name (job name = outbox topic). */
  consumes?: ConsumedQueue<EventContext<Cfg>>[];
  /**
   * Rows this subgraph keeps for a limited time, besides its published outbox rows (pruned for every
   * subgraph with an outbox relay after RETENTION_OUTBOX_DAYS): one pruner per subgraph at a time.
   */
  retention?: (config: Cfg) => RetentionRule[];
  /** Further queues whose job counts /metrics reports (e.g. one a worker drains). */
  observedQueues?: string[];
  /** Path of the public keys (JWKS) when this subgraph issues tokens: started first by the test harness. */
  jwksPath?: string;
}

/** Any subgraph definition, whatever its config and context (registries, the test harness). */
export type AnySubgraphDefinition = SubgraphDefinition<any, any>;
