import type { Redis, RedisOptions } from 'ioredis';
import { createRedis as createRedisClient, redactRedisTarget } from '@hc/config';

/**
 * A Redis connection. `maxRetriesPerRequest: null` is what BullMQ workers need; for request
 * paths pass a number so a Redis outage fails fast instead of hanging requests.
 */
export function createRedis(url: string, options: RedisOptions = {}): Redis {
  return createRedisClient(url, {
    lazyConnect: false,
    enableReadyCheck: true,
    connectTimeout: 5_000,
    retryStrategy: (attempt) => Math.min(attempt * 200, 2_000),
    ...options,
  });
}

/** Resolves when Redis answers PING, or rejects with a message naming the URL. */
export async function pingRedis(url: string): Promise<void> {
  const redis = createRedisClient(url, {
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    connectTimeout: 3_000,
  });
  redis.on('error', () => undefined);
  try {
    await redis.connect();
    await redis.ping();
  } catch (error) {
    const safe = redactRedisTarget(url);
    throw new Error(
      `Redis is not reachable at ${safe} (${(error as Error).message}). Start it, e.g. \`docker compose up -d redis\` or \`redis-server --daemonize yes\`, or set REDIS_URL.`,
      { cause: error },
    );
  } finally {
    redis.disconnect();
  }
}
