import type { Redis } from 'ioredis';
import { RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import { RateLimitedError, ServiceUnavailableError } from '@hc/graphql';

export type LimitedOperation =
  'login' | 'register' | 'verifyOtp' | 'resendOtp' | 'forgotPassword' | 'resetPassword' | 'changePassword';

export interface RateLimitOptions {
  redis: Redis;
  prefix: string;
  perIp: number;
  perAccount: number;
  windowSeconds: number;
}

/** First enforced wait; each further attempt doubles it, up to the cap (the window). */
export const DELAY_BASE_MS = 5_000;
/** The account-wide tier (addresses the account has not signed in from) starts this many times later. */
export const ACCOUNT_WIDE_FACTOR = 5;
/** Attempt counters are forgotten this long after the last attempt. */
export const COUNTER_TTL_SECONDS = 24 * 3600;
/** An address where the account proved itself (sign-in, reset) stays trusted this long. */
export const KNOWN_ADDRESS_TTL_SECONDS = 30 * 24 * 3600;
/** Told to clients when Redis cannot answer. */
export const UNAVAILABLE_RETRY_SECONDS = 10;

const LOST = new Set(['reconnecting', 'close', 'end']);

/**
 * Per account, atomically: refuse (returning the wait in ms) while any tier's `next` is in the
 * future, else charge every tier. A charge counts the attempt before it is judged (like the OTP
 * tries), so parallel requests cannot slip several guesses into one slot; a success clears it.
 * KEYS: per account a triple (address tier, account-wide tier, known-address marker).
 * ARGV: free attempts per address, free attempts account-wide, base ms, cap ms, ttl s. The clock
 * is Redis's, so auth instances with skewed clocks still agree on every wait.
 */
const ATTEMPT_SCRIPT = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local freePair, freeAccount = tonumber(ARGV[1]), tonumber(ARGV[2])
local base, cap, ttl = tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])
local wait = 0
local groups = #KEYS / 3
local known = {}
for i = 0, groups - 1 do
  known[i] = redis.call('EXISTS', KEYS[i * 3 + 3]) == 1
  local tiers = known[i] and { KEYS[i * 3 + 1] } or { KEYS[i * 3 + 1], KEYS[i * 3 + 2] }
  for _, key in ipairs(tiers) do
    local nextAt = tonumber(redis.call('HGET', key, 'next') or '0')
    if nextAt - now > wait then wait = nextAt - now end
  end
end
if wait > 0 then return wait end
local function charge(key, free)
  local n = redis.call('HINCRBY', key, 'n', 1)
  if n >= free then
    local delay = base * math.pow(2, math.min(n - free, 40))
    if delay > cap then delay = cap end
    redis.call('HSET', key, 'next', now + delay)
  end
  redis.call('EXPIRE', key, ttl)
end
for i = 0, groups - 1 do
  charge(KEYS[i * 3 + 1], freePair)
  if not known[i] then charge(KEYS[i * 3 + 2], freeAccount) end
end
return 0
`;

/**
 * The account proved itself: its attempts from this address start afresh; the account-wide
 * charge of this attempt (if the address was not yet proved) is given back, so only failures
 * fill that tier; the address is remembered as proved.
 * KEYS: address tier, account-wide tier, known-address marker. ARGV: marker ttl s.
 */
const SUCCESS_SCRIPT = `
if redis.call('EXISTS', KEYS[3]) == 0 and tonumber(redis.call('HGET', KEYS[2], 'n') or '0') > 0 then
  redis.call('HINCRBY', KEYS[2], 'n', -1)
end
redis.call('DEL', KEYS[1])
redis.call('SET', KEYS[3], '1', 'EX', tonumber(ARGV[1]))
return 0
`;

/**
 * Limits for the public auth operations, in Redis (shared by every auth instance, kept across
 * restarts):
 *
 * - per client address and operation: a fixed window (`perIp` per `windowSeconds`);
 * - per account key (normalised email, phone, user id) and client address: `perAccount` attempts
 *   back to back, then each further attempt must wait 1 s, 2 s, 4 s, … up to `windowSeconds`.
 *   Refused attempts do not count, so a client that waits as told is never refused again;
 * - per account key from addresses the account has not proved itself from: the same
 *   progression after `perAccount × 5` attempts, so guessing from many addresses stays slow.
 *   Addresses where the account signed in (or reset its password) are exempt: an attacker
 *   cannot keep its owner out from there.
 *
 * Resolvers call `consume` once per field resolution, so 50 aliased `login`s count 50. If Redis
 * cannot answer, the operation fails with SERVICE_UNAVAILABLE rather than running unthrottled.
 */
export class AuthRateLimiter {
  private readonly ip: RateLimiterRedis;
  private readonly redis: Redis;
  private readonly keyPrefix: string;

  constructor(private readonly options: RateLimitOptions) {
    this.redis = options.redis;
    this.keyPrefix = `${options.prefix}:auth:rl`;
    this.ip = new RateLimiterRedis({
      storeClient: options.redis,
      duration: options.windowSeconds,
      useRedisPackage: false,
      keyPrefix: `${this.keyPrefix}:ip`,
      points: options.perIp,
    });
  }

  private keys(operation: LimitedOperation, ip: string, accountKey: string): [string, string, string] {
    return [
      `${this.keyPrefix}:delay:${operation}:${accountKey}:${ip}`,
      `${this.keyPrefix}:delay:${operation}:${accountKey}`,
      `${this.keyPrefix}:known:${accountKey}:${ip}`,
    ];
  }

  /** Fails closed: without its counters an auth operation would run unthrottled. */
  private unavailable(): never {
    throw new ServiceUnavailableError('Sign-in protection is unavailable, please retry later', UNAVAILABLE_RETRY_SECONDS);
  }

  /**
   * Counts one attempt against the caller's address and each account key; RATE_LIMITED with
   * `retryAfterSeconds` while any of them must wait, SERVICE_UNAVAILABLE if Redis cannot answer.
   */
  async consume(operation: LimitedOperation, ip: string, accountKeys: string[]): Promise<void> {
    // A lost connection fails at once; one still being set up (start-up) is waited for.
    if (LOST.has(this.redis.status)) this.unavailable();
    let waitMs: number;
    try {
      await this.ip.consume(`${operation}:${ip}`);
      waitMs = Number(
        await this.redis.eval(
          ATTEMPT_SCRIPT,
          accountKeys.length * 3,
          ...accountKeys.flatMap((k) => this.keys(operation, ip, k)),
          this.options.perAccount,
          this.options.perAccount * ACCOUNT_WIDE_FACTOR,
          DELAY_BASE_MS,
          this.options.windowSeconds * 1000,
          COUNTER_TTL_SECONDS,
        ),
      );
    } catch (error) {
      if (error instanceof RateLimiterRes) {
        throw new RateLimitedError(Math.max(1, Math.ceil(error.msBeforeNext / 1000)));
      }
      this.unavailable();
    }
    if (waitMs > 0) throw new RateLimitedError(Math.max(1, Math.ceil(waitMs / 1000)));
  }

  /**
   * The account proved itself from this address (right password, right code): its attempts
   * from here start afresh and the address is exempt from the account-wide tier. The
   * account-wide count keeps the failures, so a success elsewhere does not hand a distributed
   * guesser new free attempts.
   */
  async succeeded(operation: LimitedOperation, ip: string, accountKey: string): Promise<void> {
    await this.redis
      .eval(SUCCESS_SCRIPT, 3, ...this.keys(operation, ip, accountKey), KNOWN_ADDRESS_TTL_SECONDS)
      .catch(() => undefined);
  }
}

/**
 * The per-process stand-in for one signed-in operation (changePassword) while Redis is down. A
 * password change is what a user does when they fear a compromise, so it should not wait for
 * Redis; the caller already holds a valid access token and must know the current password, so a
 * per-process count (multiplied by the instance count) is an acceptable bound for that window.
 */
export class LocalFallbackLimiter {
  private readonly attempts = new Map<string, { count: number; resetAt: number }>();

  constructor(
    private readonly points: number,
    private readonly windowSeconds: number,
  ) {}

  consume(key: string, now = Date.now()): void {
    const entry = this.attempts.get(key);
    if (!entry || entry.resetAt <= now) {
      if (this.attempts.size > 10_000) this.attempts.clear(); // bounded memory during a long outage
      this.attempts.set(key, { count: 1, resetAt: now + this.windowSeconds * 1000 });
      return;
    }
    entry.count += 1;
    if (entry.count > this.points) throw new RateLimitedError(Math.ceil((entry.resetAt - now) / 1000));
  }
}
