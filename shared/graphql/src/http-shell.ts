import http from 'node:http';
import { randomUUID } from 'node:crypto';
import express, { type Express, type Request } from 'express';
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

export interface HttpShellOptions {
  readiness: ReadinessChecks;
  metrics: ServiceMetrics;
}

export interface ListeningShell {
  url: string;
  port: number;
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
  addHealthRoutes(app, options.readiness);
  options.metrics.route(app);
  return {
    app,
    httpServer,
    listen: (port, host) =>
      new Promise((resolve, reject) => {
        httpServer.once('error', reject);
        httpServer.listen(port, host, () => {
          httpServer.off('error', reject);
          const actual = (httpServer.address() as { port: number }).port;
          resolve({ url: `http://${host.includes(':') ? `[${host}]` : host}:${actual}`, port: actual });
        });
      }),
    close: () =>
      new Promise((resolve) => {
        if (!httpServer.listening) return resolve();
        httpServer.close(() => resolve());
        httpServer.closeIdleConnections();
      }),
  };
}
