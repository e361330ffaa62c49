import { pino, type Logger, type LoggerOptions } from 'pino';

export type { Logger };

/**
 * Paths whose values never reach a log line: credentials, tokens, one-time codes and
 * health data. Wildcards cover nested GraphQL variables (`variables.input.password`).
 */
export const REDACT_PATHS = [
  'authorization',
  'Authorization',
  '*.authorization',
  '*.Authorization',
  'headers.authorization',
  'req.headers.authorization',
  'req.headers.cookie',
  'password',
  'newPassword',
  'currentPassword',
  'passwordHash',
  'token',
  'accessToken',
  'refreshToken',
  'code',
  'otp',
  'otpCode',
  'secret',
  '*.password',
  '*.newPassword',
  '*.currentPassword',
  '*.passwordHash',
  '*.token',
  '*.accessToken',
  '*.refreshToken',
  '*.code',
  '*.otp',
  '*.secret',
  '*.*.password',
  '*.*.token',
  '*.*.code',
  '*.*.refreshToken',
  'variables',
  '*.variables',
  'medicalHistory',
  '*.medicalHistory',
  'allergies',
  '*.allergies',
  'insuranceInfo',
  '*.insuranceInfo',
];

const DB_ERROR_CODE = /^[0-9A-Z]{5}$/;

/**
 * Removes row values from database error text: PostgreSQL's `Failing row contains (...)` and
 * `Key (col)=(value)` details and, with `literals`, the quoted values of the SQL that the ORM
 * puts in its messages. Column and constraint names stay: they are what an operator needs.
 */
export function scrubDbText(text: string, literals = true): string {
  const out = text
    .replace(/Failing row contains \(.*?\)(\.|$)/gms, 'Failing row contains ([redacted])$1')
    .replace(/Key \((.*?)\)=\(.*?\)( already exists| is not present| conflicts with|\.|$)/gms, 'Key ($1)=([redacted])$2');
  return literals ? out.replace(/'(?:[^']|'')*'/g, "'[redacted]'") : out;
}

/** A database error: a SQLSTATE code, or one of the ORM's driver exceptions. */
function isDbError(err: Record<string, unknown>): boolean {
  return (
    (typeof err.code === 'string' && DB_ERROR_CODE.test(err.code)) ||
    (typeof err.sqlState === 'string' && DB_ERROR_CODE.test(err.sqlState)) ||
    /Exception$/.test(String(err.name ?? ''))
  );
}

/** pino's error serializer, with row values scrubbed from database errors (and their causes). */
export function serializeError(err: unknown): unknown {
  if (typeof err === 'string') return scrubDbText(err, false);
  if (!err || typeof err !== 'object') return err;
  const out = pino.stdSerializers.err(err as Error) as unknown as Record<string, unknown>;
  const literals = isDbError(err as Record<string, unknown>);
  for (const key of ['message', 'stack', 'detail', 'where', 'query', 'sql']) {
    const v = out[key];
    if (typeof v === 'string') out[key] = scrubDbText(v, literals);
  }
  for (const key of ['parameters', 'params']) if (out[key] !== undefined) out[key] = '[redacted]';
  if (out.cause && typeof out.cause === 'object') out.cause = serializeError(out.cause);
  return out;
}

export interface LoggerConfig {
  LOG_LEVEL: string;
  NODE_ENV: string;
}

/** Creates the service's root logger: JSON lines, secrets redacted, `service` on every line. */
export function createLogger(service: string, config: LoggerConfig, destination?: pino.DestinationStream): Logger {
  const options: LoggerOptions = {
    level: config.NODE_ENV === 'test' && config.LOG_LEVEL === 'info' ? 'warn' : config.LOG_LEVEL,
    base: { service },
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    serializers: { err: serializeError },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
  };
  return destination ? pino(options, destination) : pino(options);
}
