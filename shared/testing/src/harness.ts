import { parse } from 'graphql';
import { composeServices } from '@apollo/composition';
import { loadConfig } from '@hc/config';
import { startSubgraph, type StartedSubgraph, type SubgraphDefinition } from '@hc/service';
import { createLogger } from '@hc/logger';
import { authSubgraph } from '@hc/auth-subgraph/server';
import { doctorSubgraph } from '@hc/doctor-subgraph/server';
import { notificationSubgraph } from '@hc/notification-subgraph/server';
import { pharmacySubgraph } from '@hc/pharmacy-subgraph/server';
import { gatewayEnv } from '@hc/config';
import { createGateway, type RunningGateway } from '@hc/gateway/server';
import { createTestDatabase, testRedisPrefix, TEST_REDIS_URL, type TestDatabase } from './database.js';
import { createTestKeys, signTestToken, type TestKeys } from './tokens.js';
import { gql } from './graphql-client.js';
import type { Role } from '@hc/auth';

export const ALL_SUBGRAPHS = {
  auth: authSubgraph,
  doctor: doctorSubgraph,
  notification: notificationSubgraph,
  pharmacy: pharmacySubgraph,
} as const;
export type SubgraphName = keyof typeof ALL_SUBGRAPHS;

export interface TestSubgraph extends StartedSubgraph {
  db: TestDatabase;
  graphqlUrl: string;
}

export interface StartOptions {
  /** Extra env for every service (e.g. SMTP_URL for the notification worker). */
  env?: Record<string, string>;
  /** Per-subgraph extra env. */
  envFor?: Partial<Record<SubgraphName, Record<string, string>>>;
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
    MAIL_CAPTURE_DIR: `${keys.dir}/mail`,
    ...extra,
  };
}

/**
 * Starts one subgraph in-process on a free port over a fresh database. Token verification uses
 * the test keys directly (no JWKS fetch) unless `jwksUrl` is given.
 */
export async function startTestSubgraph(
  name: SubgraphName,
  options: StartOptions & { jwksUrl?: string } = {},
): Promise<TestSubgraph & { keys: TestKeys }> {
  const keys = options.keys ?? createTestKeys();
  const db = await createTestDatabase(name);
  const def = ALL_SUBGRAPHS[name] as unknown as SubgraphDefinition<never, never>;
  const env = testEnv(db, keys, options.redisPrefix ?? testRedisPrefix(name), options.jwksUrl ?? 'http://127.0.0.1:9/none', {
    ...options.env,
    ...options.envFor?.[name],
  });
  const config = loadConfig(def.envSchema, env);
  const started = await startSubgraph(def, config, {
    port: 0,
    logger: createLogger(name, config as never),
    ...(options.jwksUrl ? {} : { verifyToken: keys.verifier }),
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

export interface TestSupergraph {
  url: string;
  gatewayUrl: string;
  subgraphs: Record<SubgraphName, TestSubgraph>;
  keys: TestKeys;
  redisPrefix: string;
  gateway: RunningGateway;
  /** POST an operation to the gateway. */
  query: <T = Record<string, any>>(
    query: string,
    variables?: Record<string, unknown>,
    token?: string,
    headers?: Record<string, string>,
  ) => ReturnType<typeof gql<T>>;
  /** An access token signed with the test key (for callers not created through login). */
  tokenFor: (user: { id?: string; role: Role; email?: string }) => string;
  /** SQL statements sent by each subgraph so far. */
  statements: () => Record<SubgraphName, number>;
  stop: () => Promise<void>;
}

/** Composes the supergraph from the subgraphs' current code (so tests never read a stale file). */
export async function composeFromCode(urls: Record<SubgraphName, string>): Promise<string> {
  const services = await Promise.all(
    (Object.keys(ALL_SUBGRAPHS) as SubgraphName[]).map(async (name) => ({
      name,
      url: urls[name],
      typeDefs: parse((await ALL_SUBGRAPHS[name].buildSchema()).sdl),
    })),
  );
  const result = composeServices(services);
  if (result.errors) throw new Error(result.errors.map((e) => e.message).join('\n'));
  return result.supergraphSdl;
}

/**
 * The whole system for end-to-end tests: the four subgraphs (each on a fresh database, all
 * sharing one Redis prefix) and the gateway, on free ports, in this process. Subgraphs and the
 * gateway verify tokens against auth's real JWKS endpoint.
 */
export async function startSupergraph(options: StartOptions = {}): Promise<TestSupergraph> {
  const keys = options.keys ?? createTestKeys();
  const redisPrefix = options.redisPrefix ?? testRedisPrefix('e2e');
  const auth = await startTestSubgraph('auth', { ...options, keys, redisPrefix, jwksUrl: 'http://127.0.0.1:9/unused' });
  const jwksUrl = `${auth.server.url}/.well-known/jwks.json`;
  const rest = await Promise.all(
    (['doctor', 'notification', 'pharmacy'] as const).map((name) =>
      startTestSubgraph(name, { ...options, keys, redisPrefix, jwksUrl }),
    ),
  );
  const subgraphs = { auth, doctor: rest[0], notification: rest[1], pharmacy: rest[2] } as Record<SubgraphName, TestSubgraph>;
  const urls = Object.fromEntries(Object.entries(subgraphs).map(([n, s]) => [n, s.graphqlUrl])) as Record<SubgraphName, string>;
  const gatewayConfig = loadConfig(gatewayEnv, {
    ...testEnv(auth.db, keys, redisPrefix, jwksUrl, options.env ?? {}),
    AUTH_URL: urls.auth,
    DOCTOR_URL: urls.doctor,
    NOTIFICATION_URL: urls.notification,
    PHARMACY_URL: urls.pharmacy,
    ...options.envFor?.['gateway' as SubgraphName],
  });
  const gw = await createGateway(gatewayConfig, { supergraphSdl: await composeFromCode(urls) });
  const gateway = await gw.listen(0, '127.0.0.1');
  const url = `${gateway.url}/graphql`;
  return {
    url,
    gatewayUrl: gateway.url,
    subgraphs,
    keys,
    redisPrefix,
    gateway,
    query: (query, variables = {}, token, headers) => gql(url, query, variables, { token, headers }),
    tokenFor: (user) => signTestToken(keys, user),
    statements: () =>
      Object.fromEntries(Object.entries(subgraphs).map(([n, s]) => [n, s.counter.total])) as Record<SubgraphName, number>,
    stop: async () => {
      await gateway.stop();
      await Promise.all(rest.map((s) => s.stop()));
      await auth.stop();
    },
  };
}
