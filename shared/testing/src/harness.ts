import { randomBytes } from 'node:crypto';
import { parse } from 'graphql';
import { composeServices } from '@apollo/composition';
import { gatewayEnv, loadConfig, type GatewayConfig } from '@hc/config';
import { startSubgraph, type AnySubgraphDefinition, type StartedSubgraph } from '@hc/service';
import { createLogger, type Logger } from '@hc/logger';
import type { Role, TokenVerifier } from '@hc/auth';
import { createTestDatabase, testRedisPrefix, TEST_REDIS_URL, type TestDatabase } from './database.js';
import { createTestKeys, signTestToken, type TestKeys } from './tokens.js';
import { gql } from './graphql-client.js';

/** A running gateway as the harness needs it. */
export interface RunningGateway {
  url: string;
  port: number;
  stop: () => Promise<void>;
}

/** The gateway's factory (`createGateway` of `@hc/gateway/server`), handed in by the caller. */
export type GatewayFactory = (
  config: GatewayConfig,
  options: { supergraphSdl: string; logger?: Logger; verifyToken?: TokenVerifier },
) => Promise<{ listen: (port: number, host: string) => Promise<RunningGateway> }>;

/** What the harness runs: subgraph definitions by name (in start order) and the gateway. */
export interface SystemUnderTest<N extends string = string> {
  subgraphs: Record<N, AnySubgraphDefinition>;
  createGateway: GatewayFactory;
}

export interface TestSubgraph extends StartedSubgraph {
  db: TestDatabase;
  graphqlUrl: string;
}

export interface StartOptions<N extends string = string> {
  /** Extra env for every service (e.g. SMTP_URL for the notification worker). */
  env?: Record<string, string>;
  /** Per-service extra env, by subgraph name or `gateway`. */
  envFor?: Partial<Record<N | 'gateway', Record<string, string>>>;
  keys?: TestKeys;
  redisPrefix?: string;
}

/** Base env of a service under test: its own database, Redis prefix, port 0, test keys. */
function testEnv(db: TestDatabase, keys: TestKeys, redisPrefix: string, jwksUrl: string, extra: Record<string, string>) {
  return {
    NODE_ENV: 'test',
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'warn',
    HOST: '127.0.0.1',
    DATABASE_URL: db.url,
    DATABASE_POOL_MAX: '10',
    REDIS_URL: TEST_REDIS_URL,
    REDIS_PREFIX: redisPrefix,
    KEYS_DIR: keys.dir,
    AUTH_JWKS_URL: jwksUrl,
    JWT_ISSUER: keys.issuer,
    JWT_AUDIENCE: keys.audience,
    BCRYPT_COST: '10',
    // Tests sign up and log in in bursts on a loaded machine: the bcrypt gate queues them rather
    // than answer SERVICE_UNAVAILABLE (its own tests set tight limits).
    PASSWORD_HASH_QUEUE: '1000',
    PASSWORD_HASH_QUEUE_WAIT_MS: '120000',
    MAIL_CAPTURE_DIR: `${keys.dir}/mail`,
    ...extra,
  };
}

/**
 * Starts one subgraph in-process on a free port over a fresh database. Token verification uses
 * the test keys directly (no JWKS fetch) unless `jwksUrl` is given.
 */
export async function startTestSubgraph(
  def: AnySubgraphDefinition,
  options: StartOptions & { jwksUrl?: string } = {},
): Promise<TestSubgraph & { keys: TestKeys }> {
  const keys = options.keys ?? createTestKeys();
  const db = await createTestDatabase(def.name);
  const env = testEnv(db, keys, options.redisPrefix ?? testRedisPrefix(def.name), options.jwksUrl ?? 'http://127.0.0.1:9/none', {
    ...options.env,
    ...options.envFor?.[def.name],
  });
  const config = loadConfig(def.envSchema, env);
  const started = await startSubgraph(def, config, {
    port: 0,
    logger: createLogger(def.name, config),
    ...(options.jwksUrl ? {} : { tokenKeys: keys.keyResolver }),
  });
  return {
    ...started,
    db,
    keys,
    graphqlUrl: `${started.server.url}/graphql`,
    stop: async () => {
      await started.stop();
      await db.drop();
    },
  };
}

export interface TestSupergraph<N extends string = string> {
  url: string;
  gatewayUrl: string;
  subgraphs: Record<N, TestSubgraph>;
  keys: TestKeys;
  redisPrefix: string;
  /** The SUBGRAPH_SHARED_SECRET every process of this supergraph shares (a second gateway needs it too). */
  sharedSecret?: string;
  gateway: RunningGateway;
  /** POST an operation to the gateway. */
  query: <T = Record<string, any>>(
    query: string,
    variables?: Record<string, unknown>,
    token?: string,
    headers?: Record<string, string>,
  ) => ReturnType<typeof gql<T>>;
  /** POST an operation straight to one subgraph, signed as the gateway would sign it (what another subgraph's fetch looks like). */
  subgraphQuery: <T = Record<string, any>>(
    name: string,
    query: string,
    variables?: Record<string, unknown>,
    token?: string,
  ) => ReturnType<typeof gql<T>>;
  /** An access token signed with the test key (for callers not created through login). */
  tokenFor: (user: { id?: string; role: Role; email?: string }) => string;
  /** SQL statements sent by each subgraph so far. */
  statements: () => Record<N, number>;
  stop: () => Promise<void>;
}

/** Composes the supergraph from the subgraphs' current code (so tests never read a stale file). */
export async function composeFromCode<N extends string>(
  subgraphs: Record<N, Pick<AnySubgraphDefinition, 'buildSchema'>>,
  urls: Record<N, string>,
): Promise<string> {
  const services = await Promise.all(
    (Object.keys(subgraphs) as N[]).map(async (name) => ({
      name,
      url: urls[name],
      typeDefs: parse((await subgraphs[name].buildSchema()).sdl),
    })),
  );
  const result = composeServices(services);
  if (result.errors) throw new Error(result.errors.map((e) => e.message).join('\n'));
  return result.supergraphSdl;
}

/** The gateway's env naming each subgraph's URL: `<NAME>_URL`. */
export const subgraphUrlEnv = (urls: Record<string, string>): Record<string, string> =>
  Object.fromEntries(Object.entries(urls).map(([name, url]) => [`${name.toUpperCase()}_URL`, url]));

/**
 * The whole system for end-to-end tests: the given subgraphs (each on a fresh database, all
 * sharing one Redis prefix) and the gateway, on free ports, in this process. The subgraph that
 * serves the JWKS (`jwksPath`) starts first; the others and the gateway verify tokens against it.
 */
export async function startSupergraph<N extends string>(
  system: SystemUnderTest<N>,
  given: StartOptions<N> = {},
): Promise<TestSupergraph<N>> {
  // As in production, subgraphs answer only what the gateway signed: one secret for every process
  // (a test can pass its own, or an empty string for none).
  const sharedSecret = given.env?.SUBGRAPH_SHARED_SECRET ?? randomBytes(32).toString('hex');
  const env = { ...given.env, SUBGRAPH_SHARED_SECRET: sharedSecret };
  if (!sharedSecret) delete (env as Record<string, string | undefined>).SUBGRAPH_SHARED_SECRET;
  const options: StartOptions<N> = { ...given, env };
  const keys = options.keys ?? createTestKeys();
  const redisPrefix = options.redisPrefix ?? testRedisPrefix('e2e');
  const names = Object.keys(system.subgraphs) as N[];
  const issuer = names.find((n) => system.subgraphs[n].jwksPath);
  if (!issuer) throw new Error('startSupergraph: no subgraph declares a jwksPath (the token issuer)');
  const first = await startTestSubgraph(system.subgraphs[issuer], {
    ...options,
    keys,
    redisPrefix,
    jwksUrl: 'http://127.0.0.1:9/unused',
  });
  const jwksUrl = `${first.server.url}${system.subgraphs[issuer].jwksPath}`;
  const others = names.filter((n) => n !== issuer);
  let rest: TestSubgraph[];
  try {
    rest = await Promise.all(
      others.map((n) => startTestSubgraph(system.subgraphs[n], { ...options, keys, redisPrefix, jwksUrl })),
    );
  } catch (error) {
    await first.stop();
    throw error;
  }
  const subgraphs = Object.fromEntries([[issuer, first], ...others.map((n, i) => [n, rest[i]])]) as Record<N, TestSubgraph>;
  const urls = Object.fromEntries(names.map((n) => [n, subgraphs[n].graphqlUrl])) as Record<N, string>;
  const gatewayConfig = loadConfig(gatewayEnv, {
    ...testEnv(first.db, keys, redisPrefix, jwksUrl, options.env ?? {}),
    ...subgraphUrlEnv(urls),
    ...options.envFor?.gateway,
  });
  const gw = await system.createGateway(gatewayConfig, { supergraphSdl: await composeFromCode(system.subgraphs, urls) });
  const gateway = await gw.listen(0, '127.0.0.1');
  const url = `${gateway.url}/graphql`;
  return {
    url,
    gatewayUrl: gateway.url,
    subgraphs,
    keys,
    redisPrefix,
    sharedSecret: sharedSecret || undefined,
    gateway,
    query: (query, variables = {}, token, headers) => gql(url, query, variables, { token, headers }),
    subgraphQuery: (name, query, variables = {}, token) =>
      gql((subgraphs as Record<string, TestSubgraph>)[name].graphqlUrl, query, variables, {
        token,
        signWith: sharedSecret || undefined,
      }),
    tokenFor: (user) => signTestToken(keys, user),
    statements: () => Object.fromEntries(names.map((n) => [n, subgraphs[n].counter.total])) as Record<N, number>,
    stop: async () => {
      await gateway.stop();
      await Promise.all(rest.map((s) => s.stop()));
      await first.stop();
    },
  };
}
