import type { z } from 'zod';
import type { Redis } from 'ioredis';
import type { Express } from 'express';
import type { GraphQLSchema } from 'graphql';
import type { Orm, OrmOptions, StatementCounter } from '@hc/db';
import type { Logger } from '@hc/logger';
import type { TokenVerifier } from '@hc/auth';
import type { BaseContext, BuiltSubgraph } from '@hc/graphql';
import type { CommonConfig } from '@hc/config';

export interface SubgraphDeps {
  orm: Orm;
  redis: Redis;
  logger: Logger;
  counter: StatementCounter;
  /** Override token verification (tests); default: auth's JWKS. */
  verifyToken?: TokenVerifier;
}

export interface SubgraphRuntime<C extends BaseContext> {
  schema: GraphQLSchema;
  buildContext: (base: BaseContext) => C | Promise<C>;
  routes?: (app: Express) => void;
  /** Background work started with the server (outbox relay, workers); stopped on shutdown. */
  background?: { start: () => Promise<void> | void; stop: () => Promise<void> }[];
  verifyToken?: TokenVerifier;
}

/**
 * What a subgraph declares; the shared runner (run.ts) and CLIs (cli.ts) do the rest, so the
 * four subgraphs do not repeat start-up, shutdown and migration code.
 */
export interface SubgraphDefinition<Cfg extends CommonConfig & { DATABASE_URL: string }, C extends BaseContext = BaseContext> {
  name: 'auth' | 'doctor' | 'notification' | 'pharmacy';
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
}
