import type { EntityManager } from '@mikro-orm/postgresql';
import type { BaseContext } from '@hc/graphql';
import type { TokenService } from './modules/tokens/token.service.js';
import type { OtpService } from './modules/otp/otp.service.js';
import type { PasswordHasher } from './modules/password/password.js';
import type { AuthRateLimiter } from './modules/rate-limit/rate-limit.js';

/** Runtime services of the auth subgraph, built once in server.ts and handed to each request. */
export interface AuthServices {
  tokens: TokenService;
  otp: OtpService;
  passwords: PasswordHasher;
  limiter: AuthRateLimiter;
  /** Voids the user's access tokens issued before `validAfter` (epoch seconds) at every verifier. */
  revokeAccessTokens: (userId: string, validAfter: number) => Promise<void>;
}

export interface AuthSubgraphContext extends BaseContext {
  em: EntityManager;
  services: AuthServices;
  /** Client address as forwarded by the gateway (rate limiting). */
  clientIp: string;
  /** Users who proved their identity in this request (login, verifyOtp, refresh): their payload shows own fields. */
  provenUserIds: Set<string>;
}
