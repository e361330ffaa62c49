import type { RequestHandler } from 'express';

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
