import { randomUUID } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import { BadUserInputError, ServiceUnavailableError } from '@hc/graphql';
import { outbox } from '@hc/jobs';
import { User } from '../user/user.entity.js';
import { OtpPurpose, sendOtpNow, verifyOtpNow } from '../otp/otp.service.js';
import { normaliseEmail, securityChannel, uniformFailure, uniformly } from '../account/contact.js';
import { publishUserChanged } from '../events/user-events.js';
import { checkPassword } from './password.js';
import { LocalFallbackLimiter } from '../rate-limit/rate-limit.js';
import type { AuthSubgraphContext } from '../../context.js';

const invalidCode = () => BadUserInputError.field('code', 'The code is invalid or has expired');
const wrongCurrent = () => BadUserInputError.field('currentPassword', 'The current password is wrong');

/**
 * Sets a new password (hashed by the caller before the transaction: bcrypt inside it would hold
 * a pooled connection for its ~170 ms) and ends everything issued under the old one: all
 * refresh-token families and (via the revocation marker `tokensValidAfter`, committed with the
 * password) every outstanding access token. Verifiers learn of the marker by pub/sub at once, or
 * from auth's database within REVOCATION_POLL_SECONDS when Redis is down: the change never waits
 * on Redis. The notice goes to a contact the account proved.
 */
async function setPassword(ctx: AuthSubgraphContext, tx: EntityManager, user: User, passwordHash: string) {
  user.passwordHash = passwordHash;
  // Whole seconds (JWT iat); tokens minted from now on get iat >= this (TokenService).
  const validAfter = Math.floor(Date.now() / 1000) + 1;
  user.tokensValidAfter = new Date(validAfter * 1000);
  user.updatedAt = new Date();
  await ctx.services.tokens.revokeAllForUser(tx, user.id);
  const channel = securityChannel(user);
  if (channel) {
    outbox.notify(tx, {
      idempotencyKey: `auth:password-changed:${user.id}:${randomUUID()}`,
      userId: user.id,
      template: 'auth.password_changed',
      channel,
      variables: { changedAt: new Date().toISOString() },
      critical: true,
    });
  }
  publishUserChanged(tx, user);
  await ctx.services.revokeAccessTokens(user.id, validAfter);
  ctx.logger.info({ userId: user.id }, 'password changed: sessions and access tokens revoked');
}

/**
 * Sends a reset code when the account exists, to a contact it proved: its email once verified,
 * else its verified phone (an email never verified may be someone else's). The answer, and its
 * time (the uniform answer time), do not say whether a code was sent.
 */
export async function forgotPassword(ctx: AuthSubgraphContext, email: string): Promise<void> {
  const normalised = normaliseEmail(email);
  await uniformly(async () => {
    await ctx.services.limiter.consume('forgotPassword', ctx.clientIp, [normalised]);
    const user = await ctx.em.findOne(User, { email: normalised });
    const channel = user && securityChannel(user);
    if (user && channel) await sendOtpNow(ctx, user, channel, OtpPurpose.RESET);
  });
}

/**
 * Sets a new password with the reset code; signs out everywhere. An unknown email runs the
 * same code check (against a random id) and every refusal answers alike, no sooner than the
 * uniform answer time.
 */
export async function resetPassword(ctx: AuthSubgraphContext, email: string, code: string, newPassword: string): Promise<void> {
  const normalised = normaliseEmail(email);
  // An overloaded password gate answers before the attempt and the code are spent.
  ctx.services.passwords.admit();
  const user = await uniformFailure(async () => {
    await ctx.services.limiter.consume('resetPassword', ctx.clientIp, [normalised]);
    checkPassword(newPassword, 'newPassword');
    const found = await ctx.em.findOne(User, { email: normalised });
    // The code check commits on its own: a wrong try must count even though the request fails.
    const proved = await verifyOtpNow(ctx, found?.id ?? randomUUID(), OtpPurpose.RESET, code);
    if (!found || !proved) throw invalidCode();
    return found;
  });
  const passwordHash = await ctx.services.passwords.hash(newPassword);
  await ctx.em.transactional((tx) => setPassword(ctx, tx, user, passwordHash));
  await ctx.services.limiter.succeeded('resetPassword', ctx.clientIp, normalised);
}

/**
 * The signed-in user changes their password, proving the current one; signs out everywhere.
 * Limited per user like a login (a stolen access token must not become a password oracle).
 */
export async function changePassword(
  ctx: AuthSubgraphContext,
  userId: string,
  currentPassword: string,
  newPassword: string,
): Promise<void> {
  checkPassword(newPassword, 'newPassword');
  ctx.services.passwords.admit(); // before the attempt is counted
  const key = `user:${userId}`;
  let redisDown = false;
  try {
    await ctx.services.limiter.consume('changePassword', ctx.clientIp, [key]);
  } catch (error) {
    if (!(error instanceof ServiceUnavailableError)) throw error;
    // Redis is down: a password change must still work (docs/auth.md), under a per-process limit.
    redisDown = true;
    changePasswordFallback.consume(key);
  }
  const user = await ctx.em.findOne(User, { id: userId });
  if (!user) throw wrongCurrent();
  const ok =
    Buffer.byteLength(currentPassword, 'utf8') <= 72 && (await ctx.services.passwords.verify(currentPassword, user.passwordHash));
  if (!ok) throw wrongCurrent();
  const passwordHash = await ctx.services.passwords.hash(newPassword);
  await ctx.em.transactional((tx) => setPassword(ctx, tx, user, passwordHash));
  if (!redisDown) await ctx.services.limiter.succeeded('changePassword', ctx.clientIp, key).catch(() => undefined);
}

/** changePassword's limit while Redis is down: 10 attempts per user per 15 minutes per process. */
const changePasswordFallback = new LocalFallbackLimiter(10, 900);
