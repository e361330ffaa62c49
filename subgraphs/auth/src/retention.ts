import type { AuthConfig } from '@hc/config';
import type { RetentionRule } from '@hc/db';

/**
 * Auth's short-lived secrets, kept a while after they stop working (support can still see that a
 * code was sent or a session ended) and then deleted. A refresh token of a family that is still
 * alive is kept even when used: reuse detection needs it.
 */
export const authRetention = (config: AuthConfig): RetentionRule[] => [
  {
    name: 'otp_codes',
    days: config.RETENTION_OTP_DAYS,
    // Dead from whichever came first: use or expiry.
    sql: `delete from otp_codes where least(consumed_at, expires_at) < now() - make_interval(days => ?)`,
  },
  {
    name: 'refresh_tokens',
    days: config.RETENTION_REFRESH_TOKEN_DAYS,
    sql: `delete from refresh_tokens where least(revoked_at, family_expires_at) < now() - make_interval(days => ?)`,
  },
];
