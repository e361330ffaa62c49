import type { Redis } from 'ioredis';
import { BurstyRateLimiter, RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import type { GatewayConfig } from '@hc/config';
import { RateLimitedError, type ServiceMetrics } from '@hc/graphql/shell';
import { addressBucket } from './client-address.js';
import { refusals } from './refusals.js';

export type RateLimitConfig = Pick<
  GatewayConfig,
  | 'REDIS_PREFIX'
  | 'RATE_LIMIT_ENABLED'
  | 'RATE_LIMIT_IP_PER_SECOND'
  | 'RATE_LIMIT_IP_BURST'
  | 'RATE_LIMIT_USER_PER_SECOND'
  | 'RATE_LIMIT_USER_BURST'
  | 'RATE_LIMIT_BURST_WINDOW_SECONDS'
>;

/**
 * A sustained rate per second plus a burst allowance that refills over the burst window: the
 * library's BurstyRateLimiter, which behaves like a token bucket. Counters live in Redis, so every
 * gateway process shares them; while Redis is unreachable each process counts in memory instead
 * (the insurance limiter), so an outage neither refuses everyone nor lifts the limit.
 */
function bucket(redis: Redis, keyPrefix: string, perSecond: number, burst: number, burstWindow: number) {
  const limiter = (suffix: string, points: number, duration: number) =>
    new RateLimiterRedis({
      storeClient: redis,
      useRedisPackage: false,
      keyPrefix: `${keyPrefix}:${suffix}`,
      points,
      duration,
      insuranceLimiter: new RateLimiterMemory({ keyPrefix: `${keyPrefix}:${suffix}`, points, duration }),
    });
  return new BurstyRateLimiter(limiter('rate', perSecond, 1), limiter('burst', burst, burstWindow));
}

/**
 * Request rate limits of the gateway, per client address (IPv6 per /64) and per signed-in user.
 * A refused request is the whole answer: RATE_LIMITED with `extensions.retryAfterSeconds`,
 * HTTP 429 and Retry-After. The auth subgraph's per-operation limits (login, OTP, ...) apply on
 * top of these.
 */
export function createRateLimits(config: RateLimitConfig, redis: Redis, metrics: ServiceMetrics) {
  const prefix = `${config.REDIS_PREFIX}:gw:rl`;
  const window = config.RATE_LIMIT_BURST_WINDOW_SECONDS;
  const perAddress = bucket(redis, `${prefix}:ip`, config.RATE_LIMIT_IP_PER_SECOND, config.RATE_LIMIT_IP_BURST, window);
  const perUser = bucket(redis, `${prefix}:user`, config.RATE_LIMIT_USER_PER_SECOND, config.RATE_LIMIT_USER_BURST, window);
  const refused = refusals(metrics);

  const consume = async (limiter: BurstyRateLimiter, key: string, reason: string, transport: 'http' | 'ws') => {
    try {
      await limiter.consume(key);
    } catch (error) {
      if (!(error instanceof RateLimiterRes)) throw error;
      refused.inc({ transport, reason });
      const retryAfterSeconds = Math.max(1, Math.ceil(error.msBeforeNext / 1000));
      const limited = new RateLimitedError(retryAfterSeconds);
      (limited.extensions as Record<string, unknown>).http = {
        status: 429,
        headers: new Map([['retry-after', String(retryAfterSeconds)]]),
      };
      throw limited;
    }
  };

  return {
    /**
     * Counts one request (or WebSocket connection) against the client address, before the token
     * is verified: requests with bad tokens count too.
     */
    async checkAddress(address: string | undefined, transport: 'http' | 'ws' = 'http'): Promise<void> {
      if (config.RATE_LIMIT_ENABLED) await consume(perAddress, addressBucket(address), 'RATE_LIMITED_ADDRESS', transport);
    },
    /** Counts one request against the signed-in user; anonymous requests only count per address. */
    async checkUser(userId: string | undefined): Promise<void> {
      if (config.RATE_LIMIT_ENABLED && userId) await consume(perUser, userId, 'RATE_LIMITED_USER', 'http');
    },
  };
}
