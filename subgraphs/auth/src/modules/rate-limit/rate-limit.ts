import type { Redis } from 'ioredis';
import { RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import { RateLimitedError } from '@hc/graphql';

export type LimitedOperation = 'login' | 'register' | 'verifyOtp' | 'resendOtp' | 'forgotPassword' | 'resetPassword';

export interface RateLimitOptions {
  redis: Redis;
  prefix: string;
  perIp: number;
  perAccount: number;
  windowSeconds: number;
}

/**
 * Redis-backed limits (shared by every auth instance, kept across restarts) for the public auth
 * operations, per client IP and per account/destination. Resolvers call `consume` once per field
 * resolution, so 50 aliased `login`s in one request count 50.
 */
export class AuthRateLimiter {
  private readonly ip: RateLimiterRedis;
  private readonly account: RateLimiterRedis;

  constructor(options: RateLimitOptions) {
    const common = { storeClient: options.redis, duration: options.windowSeconds, useRedisPackage: false };
    this.ip = new RateLimiterRedis({ ...common, keyPrefix: `${options.prefix}:auth:rl:ip`, points: options.perIp });
    this.account = new RateLimiterRedis({
      ...common,
      keyPrefix: `${options.prefix}:auth:rl:account`,
      points: options.perAccount,
    });
  }

  /**
   * Counts one attempt against the caller's IP and each account key (normalised email, phone
   * number); RATE_LIMITED with the wait when any of them is exhausted.
   */
  async consume(operation: LimitedOperation, ip: string, accountKeys: string[]): Promise<void> {
    try {
      await Promise.all([
        this.ip.consume(`${operation}:${ip}`),
        ...accountKeys.map((k) => this.account.consume(`${operation}:${k}`)),
      ]);
    } catch (error) {
      if (error instanceof RateLimiterRes) {
        throw new RateLimitedError(Math.max(1, Math.ceil(error.msBeforeNext / 1000)));
      }
      throw error;
    }
  }

  /** A successful login clears the account's failed-attempt budget. */
  async reward(operation: LimitedOperation, accountKey: string): Promise<void> {
    await this.account.delete(`${operation}:${accountKey}`).catch(() => undefined);
  }
}
