import { createTokenVerifier, JwksKeyResolver, type AuthContext, type TokenVerifier } from '@hc/auth';
import type { GatewayConfig } from '@hc/config';
import { authenticate } from '@hc/graphql';

export function createGatewayVerifier(config: GatewayConfig): TokenVerifier {
  return createTokenVerifier({
    keys: new JwksKeyResolver(config.AUTH_JWKS_URL),
    issuer: config.JWT_ISSUER,
    audience: config.JWT_AUDIENCE,
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
