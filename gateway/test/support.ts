import { randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import WebSocket from 'ws';
import { createClient } from 'graphql-ws';
import { gatewayEnv, loadConfig } from '@hc/config';
import { createLogger, type Logger } from '@hc/logger';
import { composeFromCode, subgraphUrlEnv, type TestSupergraph } from '@hc/testing';
import { createGateway, type RunningGateway } from '../src/server.js';
import { subgraphs, type SubgraphName } from '../../scripts/subgraphs.ts';

/** A pino logger whose JSON lines land in `lines` (to prove what reaches the log). */
export function captureLogger(service: string): { logger: Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk, _enc, done) {
      for (const line of String(chunk).split('\n')) if (line.trim()) lines.push(JSON.parse(line));
      done();
    },
  });
  return { logger: createLogger(service, { LOG_LEVEL: 'info', NODE_ENV: 'development' }, stream), lines };
}

/**
 * A second gateway over the running test supergraph's subgraphs, with its own env (production
 * mode, a safelist, response cache on, tighter limits, ...).
 */
export async function extraGateway(
  sg: TestSupergraph,
  env: Record<string, string> = {},
  logger?: Logger,
): Promise<RunningGateway & { query: (body: unknown, headers?: Record<string, string>) => Promise<RawResponse> }> {
  const urls = Object.fromEntries(Object.entries(sg.subgraphs).map(([n, s]) => [n, s.graphqlUrl])) as Record<
    SubgraphName,
    string
  >;
  const config = loadConfig(gatewayEnv, {
    NODE_ENV: 'test',
    LOG_LEVEL: 'warn',
    HOST: '127.0.0.1',
    REDIS_PREFIX: sg.redisPrefix,
    AUTH_JWKS_URL: `${sg.subgraphs.auth.server.url}/.well-known/jwks.json`,
    JWT_ISSUER: sg.keys.issuer,
    JWT_AUDIENCE: sg.keys.audience,
    ...(sg.sharedSecret ? { SUBGRAPH_SHARED_SECRET: sg.sharedSecret } : {}),
    ...subgraphUrlEnv(urls),
    ...env,
  });
  const gw = await createGateway(config, { supergraphSdl: await composeFromCode(subgraphs, urls), logger });
  const running = await gw.listen(0, '127.0.0.1');
  return { ...running, query: (body, headers) => post(`${running.url}/graphql`, body, headers) };
}

export interface RawResponse {
  status: number;
  headers: Headers;
  body: {
    data?: Record<string, any> | null;
    errors?: { message: string; extensions?: Record<string, unknown> }[];
  } & Record<string, any>;
}

/** POSTs any JSON body (an operation, a batch array, an APQ hash) and returns status, headers and body. */
export async function post(url: string, body: unknown, headers: Record<string, string> = {}): Promise<RawResponse> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  const text = await res.text();
  let parsed: RawResponse['body'];
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = { raw: text };
  }
  return { status: res.status, headers: res.headers, body: parsed };
}

/** Inserts n approved doctors (auth user + doctor row) directly in the two databases. */
export async function seedDoctors(sg: TestSupergraph, n: number, label: string): Promise<void> {
  const authConn = sg.subgraphs.auth.orm.em.getConnection();
  const doctorConn = sg.subgraphs.doctor.orm.em.getConnection();
  for (let i = 0; i < n; i++) {
    const userId = randomUUID();
    await authConn.execute(
      `insert into users (id, name, email, password_hash, role, is_verified) values (?, ?, ?, 'x', 'DOCTOR', true)`,
      [userId, `Dr ${label} ${i}`, `${label}.${i}.${userId.slice(0, 6)}@example.com`],
    );
    await doctorConn.execute(
      `insert into doctors (id, user_id, specialization, license_number, verification_status) values (?, ?, ?, ?, 'APPROVED')`,
      [randomUUID(), userId, `${label}-spec`, `LIC-${userId}`],
    );
  }
}

export const DIRECTORY = /* GraphQL */ `
  query Directory($first: Int, $spec: String) {
    doctors(first: $first, filter: { specialization: $spec }) {
      totalCount
      nodes {
        id
        specialization
        user {
          name
        }
      }
    }
  }
`;

export const totalStatements = (sg: TestSupergraph): number => Object.values(sg.statements()).reduce((a, b) => a + b, 0);

export const wsUrlOf = (httpUrl: string) => `${httpUrl.replace(/^http/, 'ws')}/graphql`;

/**
 * One graphql-ws connection (the real client) signed in with `token`; `subscribe` starts an
 * operation and collects what comes back: results, the error a refused operation gets, and the
 * close code if the server drops the socket.
 */
export function wsConnection(httpUrl: string, token: string) {
  let closeCode: number | undefined;
  const client = createClient({
    url: wsUrlOf(httpUrl),
    webSocketImpl: WebSocket,
    connectionParams: { authorization: `Bearer ${token}` },
    retryAttempts: 0,
    lazy: false,
    on: { closed: (event) => (closeCode = (event as { code?: number }).code) },
  });
  const connected = new Promise<void>((resolve) => client.on('connected', () => resolve()));
  const subscribe = (query: string, variables: Record<string, unknown> = {}) => {
    const state: { results: unknown[]; error?: any; completed: boolean } = { results: [], completed: false };
    const unsubscribe = client.subscribe(
      { query, variables },
      {
        next: (v) => state.results.push(v),
        error: (e) => (state.error = e),
        complete: () => (state.completed = true),
      },
    );
    return { state, unsubscribe };
  };
  return { client, connected, subscribe, closeCode: () => closeCode };
}

export async function waitUntil(check: () => boolean, what: string, ms = 5_000): Promise<void> {
  const until = Date.now() + ms;
  while (!check()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
