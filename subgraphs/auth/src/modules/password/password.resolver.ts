import { randomUUID } from 'node:crypto';
import { Arg, Authorized, Ctx, Mutation, Resolver } from 'type-graphql';
import type { EntityManager } from '@mikro-orm/postgresql';
import { BadUserInputError, requireUser } from '@hc/graphql';
import { outbox } from '@hc/jobs';
import { User } from '../user/user.entity.js';
import { OtpPurpose } from '../otp/otp.service.js';
import { normaliseEmail } from '../account/contact.js';
import { sendOtp } from '../account/account.resolver.js';
import { OtpChannel } from '../account/account.inputs.js';
import { publishUserChanged } from '../events/user-events.js';
import { checkPassword } from './password.js';
import type { AuthSubgraphContext } from '../../context.js';

/**
 * Sets a new password and ends everything issued under the old one: all refresh-token families
 * and (via the shared revocation marker) every outstanding access token. The marker is written
 * before the commit: if Redis fails, the password stays unchanged rather than old tokens
 * surviving a change.
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

@Resolver()
export class PasswordResolver {
  @Mutation(() => Boolean, { description: 'Always true; sends a reset code only when the account exists.' })
  async forgotPassword(@Arg('email') email: string, @Ctx() ctx: AuthSubgraphContext): Promise<boolean> {
    const normalised = normaliseEmail(email);
    await ctx.services.limiter.consume('forgotPassword', ctx.clientIp, [normalised]);
    const user = await ctx.em.findOne(User, { email: normalised });
    if (user) await ctx.em.transactional((tx) => sendOtp({ ...ctx, em: tx }, user, OtpChannel.EMAIL, OtpPurpose.RESET));
    return true;
  }

  @Mutation(() => Boolean, { description: 'Sets a new password with the emailed reset code; signs out everywhere.' })
  async resetPassword(
    @Arg('email') email: string,
    @Arg('code') code: string,
    @Arg('newPassword') newPassword: string,
    @Ctx() ctx: AuthSubgraphContext,
  ): Promise<boolean> {
    const normalised = normaliseEmail(email);
    await ctx.services.limiter.consume('resetPassword', ctx.clientIp, [normalised]);
    checkPassword(newPassword, 'newPassword');
    const user = await ctx.em.findOne(User, { email: normalised });
    const invalid = () => BadUserInputError.field('code', 'The code is invalid or has expired');
    if (!user) throw invalid();
    // The code check commits on its own: a wrong try must count even though the request fails.
    const ok = await ctx.em.transactional((tx) => ctx.services.otp.consume(tx, user.id, OtpPurpose.RESET, code.trim()));
    if (!ok) throw invalid();
    await ctx.em.transactional((tx) => setPassword(ctx, tx, user, newPassword));
    return true;
  }

  @Authorized()
  @Mutation(() => Boolean, { description: 'Needs the current password; signs out every session and notifies the user.' })
  async changePassword(
    @Arg('currentPassword') currentPassword: string,
    @Arg('newPassword') newPassword: string,
    @Ctx() ctx: AuthSubgraphContext,
  ): Promise<boolean> {
    const viewer = requireUser(ctx.auth);
    checkPassword(newPassword, 'newPassword');
    const user = await ctx.em.findOne(User, { id: viewer.id });
    if (!user) throw BadUserInputError.field('currentPassword', 'The current password is wrong');
    const ok =
      Buffer.byteLength(currentPassword, 'utf8') <= 72 &&
      (await ctx.services.passwords.verify(currentPassword, user.passwordHash));
    if (!ok) throw BadUserInputError.field('currentPassword', 'The current password is wrong');
    await ctx.em.transactional((tx) => setPassword(ctx, tx, user, newPassword));
    return true;
  }
}
