import { randomUUID } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import { BadUserInputError } from '@hc/graphql';
import { outbox } from '@hc/jobs';
import { User } from '../user/user.entity.js';
import { OtpChannel, OtpPurpose, sendOtpNow, verifyOtpNow } from '../otp/otp.service.js';
import { normaliseEmail } from '../account/contact.js';
import { publishUserChanged } from '../events/user-events.js';
import { checkPassword } from './password.js';
import type { AuthSubgraphContext } from '../../context.js';

const invalidCode = () => BadUserInputError.field('code', 'The code is invalid or has expired');
const wrongCurrent = () => BadUserInputError.field('currentPassword', 'The current password is wrong');

/**
 * Sets a new password and ends everything issued under the old one: all refresh-token families
 * and (via the revocation marker `tokensValidAfter`, committed with the password) every
 * outstanding access token. Verifiers learn of the marker by pub/sub at once, or from auth's
 * database within REVOCATION_POLL_SECONDS when Redis is down: the change never waits on Redis.
 */
async function setPassword(ctx: AuthSubgraphContext, tx: EntityManager, user: User, newPassword: string) {
  user.passwordHash = await ctx.services.passwords.hash(newPassword);
  // Whole seconds (JWT iat); tokens minted from now on get iat >= this (TokenService).
  const validAfter = Math.floor(Date.now() / 1000) + 1;
  user.tokensValidAfter = new Date(validAfter * 1000);
  user.updatedAt = new Date();
  await ctx.services.tokens.revokeAllForUser(tx, user.id);
  outbox.notify(tx, {
    idempotencyKey: `auth:password-changed:${user.id}:${randomUUID()}`,
    userId: user.id,
    template: 'auth.password_changed',
    channel: 'EMAIL',
    variables: { changedAt: new Date().toISOString() },
    critical: true,
  });
  publishUserChanged(tx, user);
  await ctx.services.revokeAccessTokens(user.id, validAfter);
  ctx.logger.info({ userId: user.id }, 'password changed: sessions and access tokens revoked');
}

/** Emails a reset code when the account exists; the caller cannot tell whether it did. */
export async function forgotPassword(ctx: AuthSubgraphContext, email: string): Promise<void> {
  const normalised = normaliseEmail(email);
  await ctx.services.limiter.consume('forgotPassword', ctx.clientIp, [normalised]);
  const user = await ctx.em.findOne(User, { email: normalised });
  if (user) await sendOtpNow(ctx, user, OtpChannel.EMAIL, OtpPurpose.RESET);
}

/** Sets a new password with the emailed reset code; signs out everywhere. */
export async function resetPassword(ctx: AuthSubgraphContext, email: string, code: string, newPassword: string): Promise<void> {
  const normalised = normaliseEmail(email);
  await ctx.services.limiter.consume('resetPassword', ctx.clientIp, [normalised]);
  checkPassword(newPassword, 'newPassword');
  const user = await ctx.em.findOne(User, { email: normalised });
  if (!user) throw invalidCode();
  // The code check commits on its own: a wrong try must count even though the request fails.
  if (!(await verifyOtpNow(ctx, user.id, OtpPurpose.RESET, code))) throw invalidCode();
  await ctx.em.transactional((tx) => setPassword(ctx, tx, user, newPassword));
}

/** The signed-in user changes their password, proving the current one; signs out everywhere. */
export async function changePassword(
  ctx: AuthSubgraphContext,
  userId: string,
  currentPassword: string,
  newPassword: string,
): Promise<void> {
  checkPassword(newPassword, 'newPassword');
  const user = await ctx.em.findOne(User, { id: userId });
  if (!user) throw wrongCurrent();
  const ok =
    Buffer.byteLength(currentPassword, 'utf8') <= 72 && (await ctx.services.passwords.verify(currentPassword, user.passwordHash));
  if (!ok) throw wrongCurrent();
  await ctx.em.transactional((tx) => setPassword(ctx, tx, user, newPassword));
}
