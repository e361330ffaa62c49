import { createTokenVerifier, type AuthContext, type TokenVerifier } from '@hc/auth';
import { createRedis, type GatewayConfig } from '@hc/config';
import { authenticate } from '@hc/graphql';

/**
 * Verifies access tokens against auth's JWKS and the shared revocation marker (password
 * change/reset), so a revoked token is refused here before any subgraph is asked.
 */
export function createGatewayVerifier(config: GatewayConfig): { verify: TokenVerifier; close: () => void } {
  // Its own connection, with an offline queue: the first requests after start wait for Redis
  // instead of being refused (the request-path connection fails fast by design).
  const redis = createRedis(config.REDIS_URL, { maxRetriesPerRequest: 2, connectTimeout: 5_000 });
  redis.on('error', () => undefined);
  const verify = createTokenVerifier({
    keys: { jwksUrl: config.AUTH_JWKS_URL },
    issuer: config.JWT_ISSUER,
    audience: config.JWT_AUDIENCE,
    revocation: { redis, prefix: config.REDIS_PREFIX },
  });
  return { verify, close: () => redis.disconnect() };
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
