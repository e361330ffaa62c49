import http from 'node:http';
import { randomUUID, timingSafeEqual } from 'node:crypto';
import express, { type Express, type Request, type RequestHandler } from 'express';
import { requestStore } from './context.js';
import { ServiceMetrics } from './metrics.js';

export type ReadinessChecks = Record<string, () => Promise<unknown>>;

const REQUEST_ID_RE = /^[A-Za-z0-9._-]{1,64}$/;
/** The caller's x-request-id when it is a plain token, else a new one. */
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

/**
 * Who may see the operational detail: `/metrics` and the per-dependency answer of `/ready` tell
 * an attacker which dependency is down and how busy the service is, so they are served
 * - on `metricsPort` (a second listener on the same host, for the scraper's network only) when set;
 * - else on the public port behind `Authorization: Bearer <metricsToken>` when that is set;
 * - else openly outside production, and not at all in production.
 * `/health` (liveness) is always public, and `/ready` always answers its status code (load
 * balancers need it) — without the token only `{ status }`.
 */
export interface OpsExposure {
  production: boolean;
  host: string;
  metricsPort?: number;
  metricsToken?: string;
}

const sameToken = (given: string, expected: string) => {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
};

function readyRoute(readiness: ReadinessChecks, detail: (req: Request) => boolean): RequestHandler {
  return async (req, res) => {
    const result = await checkReadiness(readiness);
    const status = result.ok ? 'ready' : 'not ready';
    res.status(result.ok ? 200 : 503).json(detail(req) ? { status, checks: result.checks } : { status });
  };
}

function metricsRoute(metrics: ServiceMetrics, allowed: (req: Request) => boolean): RequestHandler {
  return async (req, res) => {
    if (!allowed(req)) {
      res.status(404).end();
      return;
    }
    res.setHeader('content-type', metrics.registry.contentType);
    res.send(await metrics.text());
  };
}

export interface HttpShellOptions {
  readiness: ReadinessChecks;
  metrics: ServiceMetrics;
  /** Default: development exposure (everything open on the public port). */
  ops?: OpsExposure;
}

export interface ListeningShell {
  url: string;
  port: number;
  /** The separate metrics listener's port, when one was asked for. */
  opsPort?: number;
}

export interface HttpShell {
  app: Express;
  httpServer: http.Server;
  listen: (port: number, host: string) => Promise<ListeningShell>;
  /** Stops accepting and waits for open connections (idempotent; Apollo's drain plugin may have closed it already). */
  close: () => Promise<void>;
}

/**
 * The HTTP shell every service (gateway, subgraphs) runs in: express with the request id on
 * every request (x-request-id in and out, carried in the request store for logs), GET /health,
 * GET /ready, GET /metrics, and listen/close. The caller mounts its own routes and /graphql.
 */
export function createHttpShell(options: HttpShellOptions): HttpShell {
  const app = express();
  app.disable('x-powered-by');
  const httpServer = http.createServer(app);
  // Longer than the usual load balancer idle timeout, so the balancer closes first.
  httpServer.keepAliveTimeout = 65_000;
  app.use((req, res, next) => {
    const requestId = requestIdOf(req);
    res.setHeader('x-request-id', requestId);
    requestStore.run({ requestId }, next);
  });
  const ops = options.ops ?? { production: false, host: '127.0.0.1' };
  const separatePort = ops.metricsPort !== undefined;
  const openDetail = !separatePort && !ops.metricsToken && !ops.production;
  const authorised = (req: Request) => {
    if (openDetail) return true;
    const given = /^Bearer (.+)$/.exec(req.header('authorization') ?? '')?.[1];
    return Boolean(ops.metricsToken && given && sameToken(given, ops.metricsToken));
  };
  app.get('/health', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.get('/ready', readyRoute(options.readiness, authorised));
  app.get(
    '/metrics',
    metricsRoute(options.metrics, (req) => !separatePort && authorised(req)),
  );

  let opsServer: http.Server | undefined;
  const listenOn = (server: http.Server, port: number, host: string) =>
    new Promise<number>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        resolve((server.address() as { port: number }).port);
      });
    });
  const closeServer = (server: http.Server | undefined) =>
    new Promise<void>((resolve) => {
      if (!server?.listening) return resolve();
      server.close(() => resolve());
      server.closeIdleConnections();
    });
  return {
    app,
    httpServer,
    listen: async (port, host) => {
      let opsPort: number | undefined;
      if (separatePort) {
        const opsApp = express();
        opsApp.disable('x-powered-by');
        opsApp.get(
          '/ready',
          readyRoute(options.readiness, () => true),
        );
        opsApp.get(
          '/metrics',
          metricsRoute(options.metrics, () => true),
        );
        opsServer = http.createServer(opsApp);
        opsPort = await listenOn(opsServer, ops.metricsPort!, ops.host);
      }
      const actual = await listenOn(httpServer, port, host);
      return { url: `http://${host.includes(':') ? `[${host}]` : host}:${actual}`, port: actual, opsPort };
    },
    close: async () => {
      await closeServer(httpServer);
      await closeServer(opsServer);
    },
  };
}
