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
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
  };
  return destination ? pino(options, destination) : pino(options);
}
