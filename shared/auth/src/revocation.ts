import type { AuthUser } from './types.js';

/** The few Redis commands the revocation store needs (an ioredis client fits). */
export interface RevocationRedis {
  get(key: string): Promise<string | null>;
  set(key: string, value: string, mode: 'EX', seconds: number): Promise<unknown>;
}

/** Redis key holding the epoch second before which a user's access tokens are void. */
export const tokensValidAfterKey = (prefix: string, userId: string): string => `${prefix}:auth:tokens-valid-after:${userId}`;

/**
 * Password change/reset: every access token issued before `validAfter` (epoch seconds) fails
 * wherever it is verified. Access tokens live at most `ttlSeconds`, so the key can expire then.
 */
export async function revokeTokensIssuedBefore(
  redis: RevocationRedis,
  prefix: string,
  userId: string,
  validAfter: number,
  ttlSeconds: number,
): Promise<void> {
  await redis.set(tokensValidAfterKey(prefix, userId), String(validAfter), 'EX', Math.max(60, Math.ceil(ttlSeconds) + 60));
}

/**
 * The verifier's `isRevoked` hook, shared by the gateway and every subgraph. Fails closed: if
 * Redis cannot answer, the token is treated as revoked rather than trusted blindly.
 */
export function redisRevocationCheck(redis: RevocationRedis, prefix: string): (user: AuthUser) => Promise<boolean> {
  return async (user) => {
    let value: string | null;
    try {
      value = await redis.get(tokensValidAfterKey(prefix, user.id));
    } catch {
      return true;
    }
    return value !== null && user.issuedAt < Number(value);
  };
}
