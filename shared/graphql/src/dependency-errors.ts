/**
 * Recognises "a dependency could not be reached" (Redis, a database, another service) in an
 * error or anything it wraps, so it is answered as SERVICE_UNAVAILABLE rather than masked as a
 * bug or mistaken for a bad token.
 */

/** Socket-level codes (Node, undici) and PostgreSQL SQLSTATEs that mean "not reachable right now". */
const CONNECTION_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EPIPE',
  'EAI_AGAIN',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_SOCKET',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_CLOSED',
  // PostgreSQL class 08 (connection exception), shutting down, cannot connect now, too many connections.
  '08000',
  '08001',
  '08003',
  '08004',
  '08006',
  '57P01',
  '57P02',
  '57P03',
  '53300',
]);

/** Error class names: ioredis, MikroORM, fetch timeouts. */
const CONNECTION_NAMES = new Set(['MaxRetriesPerRequestError', 'ConnectionException', 'TimeoutError']);

/** Messages of errors that carry no code (ioredis offline, pg pool). */
const CONNECTION_MESSAGES = [
  /^Connection is closed\.?$/,
  /Stream isn't writeable and enableOfflineQueue options is false/,
  /Reached the max retries per request limit/,
  /timeout exceeded when trying to connect/,
  /Connection terminated (unexpectedly|due to connection timeout)/,
  /Client has encountered a connection error/,
];

function isConnectionErrorAt(err: unknown, depth: number): boolean {
  if (!err || typeof err !== 'object' || depth > 6) return false;
  const e = err as {
    code?: unknown;
    name?: unknown;
    message?: unknown;
    cause?: unknown;
    originalError?: unknown;
    errors?: unknown;
  };
  // undici's "fetch failed" says nothing by itself (a bad URL fails the same way): its cause decides.
  if (typeof e.code === 'string' && CONNECTION_CODES.has(e.code)) return true;
  if (typeof e.name === 'string' && CONNECTION_NAMES.has(e.name)) return true;
  if (typeof e.message === 'string' && CONNECTION_MESSAGES.some((re) => re.test(e.message as string))) return true;
  if (Array.isArray(e.errors) && e.errors.some((inner) => isConnectionErrorAt(inner, depth + 1))) return true;
  return isConnectionErrorAt(e.cause, depth + 1) || isConnectionErrorAt(e.originalError, depth + 1);
}

/** True when `err` (or an error it wraps) says a dependency could not be reached or timed out. */
export function isDependencyUnavailable(err: unknown): boolean {
  return isConnectionErrorAt(err, 0);
}

/** Seconds a client is asked to wait before retrying after SERVICE_UNAVAILABLE. */
export const DEPENDENCY_RETRY_AFTER_SECONDS = 5;

interface ResponseLike {
  body: {
    kind: string;
    singleResult?: { data?: Record<string, unknown> | null; errors?: readonly { extensions?: Record<string, unknown> }[] };
  };
  http: { status?: number; headers: Map<string, string> };
}

/**
 * Apollo Server plugin (gateway): when the whole request failed because dependencies were
 * unavailable (no root field has data, every error is SERVICE_UNAVAILABLE), answer HTTP 503 with
 * Retry-After, so proxies and clients see "try again" without reading the body.
 */
export function serviceUnavailableStatusPlugin() {
  return {
    async requestDidStart() {
      return {
        async willSendResponse({ response }: { response: ResponseLike }) {
          const result = response.body.kind === 'single' ? response.body.singleResult : undefined;
          const errors = result?.errors;
          if (!result || !errors?.length) return;
          if (!errors.every((e) => e.extensions?.code === 'SERVICE_UNAVAILABLE')) return;
          if (result.data && Object.values(result.data).some((v) => v !== null)) return;
          const retryAfter = Math.max(
            ...errors.map((e) => Number(e.extensions?.retryAfterSeconds) || DEPENDENCY_RETRY_AFTER_SECONDS),
          );
          response.http.status = 503;
          response.http.headers.set('retry-after', String(retryAfter));
        },
      };
    },
  };
}
