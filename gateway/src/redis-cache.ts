import type { Redis } from 'ioredis';

/** The shape of Apollo's KeyValueCache (@apollo/utils.keyvaluecache), which APQ and the response cache take. */
export interface KeyValueCacheSetOptions {
  ttl?: number | null;
}
export interface KeyValueCache<V = string> {
  get(key: string): Promise<V | undefined>;
  set(key: string, value: V, options?: KeyValueCacheSetOptions): Promise<void>;
  delete(key: string): Promise<boolean | void>;
}

/**
 * Apollo's KeyValueCache over ioredis (APQ and the response cache). Keys get the service's
 * REDIS_PREFIX. A Redis failure degrades to a cache miss instead of failing the request:
 * the cache is an optimisation, never a dependency of correctness.
 */
export class RedisKeyValueCache implements KeyValueCache<string> {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly defaultTtlSeconds = 300,
  ) {}

  async get(key: string): Promise<string | undefined> {
    try {
      return (await this.redis.get(this.prefix + key)) ?? undefined;
    } catch {
      return undefined;
    }
  }

  async set(key: string, value: string, options?: KeyValueCacheSetOptions): Promise<void> {
    const ttl = options?.ttl === null ? undefined : Math.max(1, Math.ceil(options?.ttl ?? this.defaultTtlSeconds));
    try {
      if (ttl === undefined) await this.redis.set(this.prefix + key, value);
      else await this.redis.set(this.prefix + key, value, 'EX', ttl);
    } catch {
      // Not cached this time.
    }
  }

  async delete(key: string): Promise<boolean> {
    try {
      return (await this.redis.del(this.prefix + key)) > 0;
    } catch {
      return false;
    }
  }
}
