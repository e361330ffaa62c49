import { Redis } from 'ioredis';
import { createTokenVerifier, JwksKeyResolver, redisRevocationCheck, type AuthContext, type TokenVerifier } from '@hc/auth';
import type { GatewayConfig } from '@hc/config';
import { authenticate } from '@hc/graphql';

/**
 * Verifies access tokens against auth's JWKS and the shared revocation marker (password
 * change/reset), so a revoked token is refused here before any subgraph is asked.
 */
export function createGatewayVerifier(config: GatewayConfig): TokenVerifier {
  const redis = new Redis(config.REDIS_URL, { maxRetriesPerRequest: 2, connectTimeout: 5_000 });
  redis.on('error', () => undefined);
  // The connection serves only this check; it must not keep a stopped gateway's process alive.
  redis.on('connect', () => redis.stream?.unref?.());
  return createTokenVerifier({
    keys: new JwksKeyResolver(config.AUTH_JWKS_URL),
    issuer: config.JWT_ISSUER,
    audience: config.JWT_AUDIENCE,
    isRevoked: redisRevocationCheck(redis, config.REDIS_PREFIX),
  });
}

/**
 * Verifies the bearer token once per request: an invalid or expired token answers
 * UNAUTHENTICATED (HTTP 401) before planning; no token means anonymous.
 */
export const authenticateRequest = (
  verify: TokenVerifier,
  authorization: string | undefined,
  requestId: string,
): Promise<AuthContext> => authenticate(verify, authorization, requestId);
