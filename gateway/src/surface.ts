import http from 'node:http';
import { timingSafeEqual } from 'node:crypto';
import express, { type Express, type RequestHandler } from 'express';
import type { GatewayConfig } from '@hc/config';
import { checkReadiness, type ReadinessChecks, type ServiceMetrics } from '@hc/graphql';

/**
 * CORS for the origins in CORS_ORIGINS (exact match; `*` = any, refused in production by the
 * config schema). Empty = no cross-origin browser access at all. Credentials are never allowed:
 * the API authenticates with a bearer header, not cookies.
 */
export function corsMiddleware(origins: string): RequestHandler {
  const list = origins
    .split(',')
    .map((o) => o.trim().replace(/\/$/, ''))
    .filter(Boolean);
  const any = list.includes('*');
  const allowed = new Set(list);
  return (req, res, next) => {
    const origin = req.header('origin');
    res.vary('Origin');
    if (origin && (any || allowed.has(origin))) {
      res.setHeader('access-control-allow-origin', any ? '*' : origin);
      if (req.method === 'OPTIONS' && req.header('access-control-request-method')) {
        res.setHeader('access-control-allow-methods', 'GET, POST, OPTIONS');
        res.setHeader(
          'access-control-allow-headers',
          'authorization, content-type, apollo-require-preflight, x-apollo-operation-name, x-request-id',
        );
        res.setHeader('access-control-max-age', '600');
        res.status(204).end();
        return;
      }
      res.setHeader('access-control-expose-headers', 'x-request-id, retry-after');
    } else if (origin && req.method === 'OPTIONS' && req.header('access-control-request-method')) {
      // A preflight from an origin not on the list: no CORS headers, the browser blocks the call.
      res.status(204).end();
      return;
    }
    next();
  };
}

const sameToken = (given: string, expected: string) => {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
};

/**
 * `/health` (liveness, public), `/ready` and `/metrics`. Metrics and the per-dependency detail of
 * /ready tell an attacker which subgraph is down and how busy the gateway is, so they are served:
 * - on METRICS_PORT (a second listener on HOST, for the scraper's network only) when it is set;
 * - else on the public port behind `Authorization: Bearer <METRICS_TOKEN>` when that is set;
 * - else openly outside production, and not at all in production.
 * The public /ready always answers its status code (load balancers need it) and, without the
 * token, only `{ status }`.
 *
 * Written to be reused by the subgraphs' HTTP shell: it needs only an express app, the config
 * fields it reads, the metrics registry and the readiness checks.
 */
export function mountOpsRoutes(
  app: Express,
  config: Pick<GatewayConfig, 'NODE_ENV' | 'HOST' | 'METRICS_PORT' | 'METRICS_TOKEN'>,
  metrics: ServiceMetrics,
  readiness: ReadinessChecks,
): { listen: () => Promise<{ port: number } | undefined>; close: () => Promise<void> } {
  const separatePort = config.METRICS_PORT !== undefined;
  const token = config.METRICS_TOKEN;
  const openDetail = !separatePort && !token && config.NODE_ENV !== 'production';
  const authorised = (req: express.Request) => {
    if (openDetail) return true;
    const given = /^Bearer (.+)$/.exec(req.header('authorization') ?? '')?.[1];
    return Boolean(token && given && sameToken(given, token));
  };

  const ready =
    (detail: (req: express.Request) => boolean): RequestHandler =>
    async (req, res) => {
      const result = await checkReadiness(readiness);
      const status = result.ok ? 'ready' : 'not ready';
      res.status(result.ok ? 200 : 503).json(detail(req) ? { status, checks: result.checks } : { status });
    };
  const metricsRoute =
    (guard: (req: express.Request) => boolean): RequestHandler =>
    async (req, res) => {
      if (!guard(req)) {
        res.status(404).end();
        return;
      }
      res.setHeader('content-type', metrics.registry.contentType);
      res.send(await metrics.registry.metrics());
    };

  app.get('/health', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.get('/ready', ready(authorised));
  app.get(
    '/metrics',
    metricsRoute((req) => !separatePort && authorised(req)),
  );

  let server: http.Server | undefined;
  return {
    listen: async () => {
      if (!separatePort) return undefined;
      const ops = express();
      ops.disable('x-powered-by');
      ops.get(
        '/ready',
        ready(() => true),
      );
      ops.get(
        '/metrics',
        metricsRoute(() => true),
      );
      server = http.createServer(ops);
      await new Promise<void>((resolve, reject) => {
        server!.once('error', reject);
        server!.listen(config.METRICS_PORT, config.HOST, () => resolve());
      });
      return { port: (server.address() as { port: number }).port };
    },
    close: () => new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve())),
  };
}
