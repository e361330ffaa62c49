import {
  createTokenVerifier,
  httpRevocationSource,
  revocationChannel,
  RevocationCache,
  type AuthContext,
  type TokenVerifier,
} from '@hc/auth';
import type { GatewayConfig } from '@hc/config';
import { authenticate } from '@hc/graphql/shell';
import type { Logger } from '@hc/logger';
import { createRedis } from '@hc/service/process';

/** Auth's revocation endpoint, on the same origin as its JWKS. */
export const revocationsUrl = (config: Pick<GatewayConfig, 'AUTH_JWKS_URL'>): string =>
  new URL('/internal/revocations', config.AUTH_JWKS_URL).toString();

/**
 * Verifies access tokens against auth's JWKS and the revocation markers (password
 * change/reset) held in memory, so a revoked token is refused here before any subgraph is asked
 * and a Redis outage does not refuse valid ones.
 */
export function createGatewayVerifier(
  config: GatewayConfig,
  logger?: Logger,
): { verify: TokenVerifier; revocations: RevocationCache; start: () => Promise<void>; close: () => void } {
  const subscriber = createRedis(config.REDIS_URL);
  subscriber.on('error', () => undefined);
  const revocations = new RevocationCache({
    source: httpRevocationSource(revocationsUrl(config), config.INTERNAL_SECRET),
    subscriber,
    channel: revocationChannel(config.REDIS_PREFIX),
    pollSeconds: config.REVOCATION_POLL_SECONDS,
    logger,
  });
  const verify = createTokenVerifier({
    keys: { jwksUrl: config.AUTH_JWKS_URL },
    issuer: config.JWT_ISSUER,
    audience: config.JWT_AUDIENCE,
    revocation: revocations,
  });
  return { verify, revocations, start: () => revocations.start(), close: () => revocations.stop() };
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
