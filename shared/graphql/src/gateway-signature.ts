import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import express, { type RequestHandler } from 'express';

/**
 * Gateway → subgraph request signing (docs/security.md "Subgraphs trust only the gateway").
 *
 * The gateway signs each subgraph request with HMAC-SHA256 under SUBGRAPH_SHARED_SECRET over
 * method, path, timestamp, the client address it resolved and the SHA-256 of the body. A subgraph
 * refuses a request whose signature is missing (401), older or newer than MAX_SKEW_SECONDS (401)
 * or wrong (403) before the body reaches GraphQL. Only a verified request's client header is
 * believed; anything else falls back to the socket peer.
 */
export const SIGNATURE_HEADER = 'x-gateway-signature';
export const TIMESTAMP_HEADER = 'x-gateway-timestamp';
export const CLIENT_HEADER = 'x-gateway-client';
/** Clock skew (and replay window) a signature is accepted in. */
export const MAX_SKEW_SECONDS = 30;

const sha256 = (body: string | Uint8Array) => createHash('sha256').update(body).digest('hex');

function signature(secret: string, method: string, path: string, timestamp: string, client: string, body: string | Uint8Array) {
  const material = ['v1', method.toUpperCase(), path, timestamp, client, sha256(body)].join('\n');
  return `v1=${createHmac('sha256', secret).update(material).digest('hex')}`;
}

/** The headers that sign one request (`path` includes the query string). */
export function signGatewayRequest(
  secret: string,
  request: { method: string; path: string; body?: string | Uint8Array; client?: string; now?: number },
): Record<string, string> {
  const timestamp = String(Math.floor((request.now ?? Date.now()) / 1000));
  const client = request.client ?? '';
  return {
    [TIMESTAMP_HEADER]: timestamp,
    [CLIENT_HEADER]: client,
    [SIGNATURE_HEADER]: signature(secret, request.method, request.path, timestamp, client, request.body ?? ''),
  };
}

export type Verification = { ok: true; client?: string } | { ok: false; status: 401 | 403; reason: string };

const header = (headers: IncomingMessage['headers'], name: string) => {
  const v = headers[name];
  return Array.isArray(v) ? undefined : v;
};

/** Checks the timestamp only (cheap; done before the body is read). */
export function checkGatewayTimestamp(headers: IncomingMessage['headers'], now = Date.now()): Verification {
  const sig = header(headers, SIGNATURE_HEADER);
  const ts = header(headers, TIMESTAMP_HEADER);
  if (!sig || !ts) return { ok: false, status: 401, reason: 'unsigned request' };
  if (!/^\d{1,12}$/.test(ts) || Math.abs(now / 1000 - Number(ts)) > MAX_SKEW_SECONDS)
    return { ok: false, status: 401, reason: 'stale or future signature timestamp' };
  return { ok: true };
}

/** Verifies a whole request: timestamp window and the HMAC over method, path, timestamp, client and body. */
export function verifyGatewayRequest(
  secret: string,
  request: { method: string; path: string; headers: IncomingMessage['headers']; body: Uint8Array | string },
  now = Date.now(),
): Verification {
  const fresh = checkGatewayTimestamp(request.headers, now);
  if (!fresh.ok) return fresh;
  const client = header(request.headers, CLIENT_HEADER) ?? '';
  const expected = Buffer.from(
    signature(secret, request.method, request.path, header(request.headers, TIMESTAMP_HEADER)!, client, request.body),
  );
  const given = Buffer.from(header(request.headers, SIGNATURE_HEADER)!);
  if (given.length !== expected.length || !timingSafeEqual(given, expected))
    return { ok: false, status: 403, reason: 'bad signature' };
  return { ok: true, client: client || undefined };
}

const RAW = Symbol('rawBody');
const CLIENT = Symbol('clientAddress');
type Marked = IncomingMessage & { [RAW]?: Buffer; [CLIENT]?: string };

/** The client address of a request that passed `gatewaySignatureGuard`: the verified gateway header, else the socket peer. */
export function verifiedClientAddress(req: IncomingMessage): string {
  return (req as Marked)[CLIENT] ?? req.socket.remoteAddress ?? 'unknown';
}

function refuse(res: Parameters<RequestHandler>[1], status: 401 | 403, message: string) {
  res.status(status).json({
    errors: [{ message, extensions: { code: status === 401 ? 'UNAUTHENTICATED' : 'FORBIDDEN', reason: 'GATEWAY_SIGNATURE' } }],
  });
}

/**
 * The middleware in front of a subgraph's /graphql: JSON body parsing (keeping the raw bytes for
 * the hash) wrapped by signature verification. With a secret, unsigned, stale or wrongly signed
 * requests never reach GraphQL. Without one (development, tests that opt out) every request passes,
 * and the client address is always the socket peer: a client-sent header is never believed.
 */
export function gatewaySignatureGuard(options: { secret?: string; limit?: string }): RequestHandler[] {
  const json = express.json({
    limit: options.limit ?? '1mb',
    verify: (req, _res, buf) => {
      (req as Marked)[RAW] = buf;
    },
  });
  const { secret } = options;
  if (!secret) return [json];
  return [
    (req, res, next) => {
      const fresh = checkGatewayTimestamp(req.headers);
      if (!fresh.ok) return refuse(res, fresh.status, `Subgraph refused the request: ${fresh.reason}`);
      next();
    },
    json,
    (req, res, next) => {
      const result = verifyGatewayRequest(secret, {
        method: req.method,
        path: req.originalUrl,
        headers: req.headers,
        body: (req as Marked)[RAW] ?? '',
      });
      if (!result.ok) return refuse(res, result.status, `Subgraph refused the request: ${result.reason}`);
      (req as Marked)[CLIENT] = result.client;
      next();
    },
  ];
}
