import type { z } from 'zod';
import { sentinelTarget } from './redis.js';

/** Thrown when the environment does not satisfy a service's schema; the message names every bad variable. */
export class ConfigError extends Error {
  constructor(readonly problems: { variable: string; message: string }[]) {
    super('Invalid configuration:\n' + problems.map((p) => `  - ${p.variable}: ${p.message}`).join('\n'));
    this.name = 'ConfigError';
  }
}

/**
 * Parses and validates environment variables against a service's schema, once, at start-up.
 * Empty strings count as unset so `FOO= npm start` falls back to the default.
 */
export function loadConfig<S extends z.ZodType>(schema: S, env: Record<string, string | undefined> = process.env): z.infer<S> {
  const cleaned: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) if (v !== undefined && v !== '') cleaned[k] = v;
  const result = schema.safeParse(cleaned);
  if (!result.success) {
    throw new ConfigError(
      result.error.issues.map((issue) => ({
        variable: String(issue.path[0] ?? '(environment)'),
        message: issue.message,
      })),
    );
  }
  return withSentinel(result.data);
}

/**
 * REDIS_SENTINELS wins over REDIS_URL's address: every component receives one Redis target
 * (REDIS_URL), which then names the sentinels, so no call site needs to know about Sentinel.
 */
function withSentinel<T>(config: T): T {
  const c = config as {
    REDIS_URL?: string;
    REDIS_SENTINELS?: string;
    REDIS_SENTINEL_NAME?: string;
    REDIS_SENTINEL_PASSWORD?: string;
  };
  if (!c.REDIS_SENTINELS || !c.REDIS_URL) return config;
  const target = sentinelTarget({
    sentinels: c.REDIS_SENTINELS,
    name: c.REDIS_SENTINEL_NAME ?? 'mymaster',
    sentinelPassword: c.REDIS_SENTINEL_PASSWORD,
    baseUrl: c.REDIS_URL,
  });
  return { ...config, REDIS_URL: target };
}
