import { randomUUID } from 'node:crypto';
import { Arg, Ctx, Mutation, Resolver } from 'type-graphql';
import { UniqueConstraintViolationException } from '@mikro-orm/postgresql';
import { AccountNotVerifiedError, BadUserInputError, UnauthenticatedError } from '@hc/graphql';
import { outbox } from '@hc/jobs';
import { User } from '../user/user.entity.js';
import { OtpPurpose, OTP_TTL_MINUTES } from '../otp/otp.service.js';
import { checkPassword } from '../password/password.js';
import { publishUserChanged } from '../events/user-events.js';
import { AuthPayload, OtpChannel, RegisterInput, RegisterPayload } from './account.inputs.js';
import { maskDestination, normaliseEmail, toE164 } from './contact.js';
import type { AuthSubgraphContext } from '../../context.js';

const invalidCode = () => BadUserInputError.field('code', 'The code is invalid or has expired');

/** Queues an OTP message for the user on the channel (secret `code`, security-critical). */
export async function sendOtp(ctx: AuthSubgraphContext, user: User, channel: OtpChannel, purpose: OtpPurpose) {
  const code = await ctx.services.otp.issue(ctx.em, user.id, purpose);
  const verify = purpose === OtpPurpose.VERIFY;
  outbox.notify(ctx.em, {
    idempotencyKey: `auth:otp:${user.id}:${randomUUID()}`,
    userId: user.id,
    template: verify ? 'auth.otp' : 'auth.password_reset',
    channel,
    variables: verify
      ? { code, expiresInMinutes: OTP_TTL_MINUTES, purpose: 'verify' }
      : { code, expiresInMinutes: OTP_TTL_MINUTES },
    secretVariables: ['code'],
    critical: true,
  });
}

/** Signs the user in for this request's payload: tokens plus a User whose own fields are visible. */
export async function authPayload(ctx: AuthSubgraphContext, user: User): Promise<AuthPayload> {
  const tokens = await ctx.services.tokens.issue(ctx.em, user);
  ctx.provenUserIds.add(user.id);
  return { ...tokens, user };
}

@Resolver()
export class AccountResolver {
  @Mutation(() => RegisterPayload, {
    description: 'Creates an unverified account and sends an OTP. An existing email gets the same answer (no enumeration).',
  })
  async register(@Arg('input', () => RegisterInput) input: RegisterInput, @Ctx() ctx: AuthSubgraphContext) {
    const email = normaliseEmail(input.email);
    await ctx.services.limiter.consume('register', ctx.clientIp, [email]);
    if (input.role === 'ADMIN') throw BadUserInputError.field('role', 'ADMIN accounts are created by an operator');
    checkPassword(input.password);
    const channel = input.otpChannel ?? OtpChannel.EMAIL;
    const phone = input.phone ? toE164(input.phone) : null;
    if (channel !== OtpChannel.EMAIL && !phone) {
      throw BadUserInputError.field('phone', `A phone number is needed to receive the code by ${channel}`);
    }
    // Hash before looking the email up, so new and existing emails cost the same time.
    const passwordHash = await ctx.services.passwords.hash(input.password);
    const payload = { otpChannel: channel, otpDestination: maskDestination(channel === OtpChannel.EMAIL ? email : phone!) };

    const existing = await ctx.em.findOne(User, { email });
    if (existing) {
      await this.noticeExisting(ctx, existing);
      return payload;
    }
    const user = new User();
    user.name = input.name.trim();
    user.email = email;
    user.passwordHash = passwordHash;
    user.phone = phone;
    user.role = input.role;
    user.dateOfBirth = input.dateOfBirth ?? null;
    user.gender = input.gender ?? null;
    try {
      await ctx.em.transactional(async (tx) => {
        tx.persist(user);
        await tx.flush();
        publishUserChanged(tx, user);
        await sendOtp({ ...ctx, em: tx }, user, channel, OtpPurpose.VERIFY);
      });
    } catch (error) {
      // A concurrent registration of the same email won the unique index: answer as for an existing account.
      if (!(error instanceof UniqueConstraintViolationException)) throw error;
      ctx.em.clear();
      const winner = await ctx.em.findOne(User, { email });
      if (winner) await this.noticeExisting(ctx, winner);
    }
    return payload;
  }

  private async noticeExisting(ctx: AuthSubgraphContext, user: User) {
    outbox.notify(ctx.em, {
      idempotencyKey: `auth:account-exists:${user.id}:${randomUUID()}`,
      userId: user.id,
      template: 'auth.account_exists',
      channel: 'EMAIL',
      variables: {},
      critical: true,
    });
    await ctx.em.flush();
  }

  @Mutation(() => AuthPayload, { description: 'Verifies the account with its OTP and signs in.' })
  async verifyOtp(@Arg('email') email: string, @Arg('code') code: string, @Ctx() ctx: AuthSubgraphContext) {
    const normalised = normaliseEmail(email);
    await ctx.services.limiter.consume('verifyOtp', ctx.clientIp, [normalised]);
    const user = await ctx.em.findOne(User, { email: normalised });
    if (!user) throw invalidCode();
    const ok = await ctx.em.transactional(async (tx) => {
      if (!(await ctx.services.otp.consume(tx, user.id, OtpPurpose.VERIFY, code.trim()))) return false;
      if (!user.isVerified) {
        user.isVerified = true;
        user.updatedAt = new Date();
        publishUserChanged(tx, user);
      }
      return true;
    });
    if (!ok) throw invalidCode();
    return authPayload(ctx, user);
  }

  @Mutation(() => Boolean, { description: 'Always true; sends a new code only to an existing unverified account.' })
  async resendOtp(
    @Arg('email') email: string,
    @Ctx() ctx: AuthSubgraphContext,
    @Arg('channel', () => OtpChannel, { nullable: true }) channel?: OtpChannel | null,
  ): Promise<boolean> {
    const normalised = normaliseEmail(email);
    const user = await ctx.em.findOne(User, { email: normalised });
    const via = channel && channel !== OtpChannel.EMAIL && user?.phone ? channel : OtpChannel.EMAIL;
    // Per account and per destination (a phone number shared by accounts is limited once).
    const keys = [normalised, ...(via !== OtpChannel.EMAIL && user?.phone ? [`phone:${user.phone}`] : [])];
    await ctx.services.limiter.consume('resendOtp', ctx.clientIp, keys);
    if (user && !user.isVerified) {
      await ctx.em.transactional((tx) => sendOtp({ ...ctx, em: tx }, user, via, OtpPurpose.VERIFY));
    }
    return true;
  }

  @Mutation(() => AuthPayload, { description: 'Signs in. Unknown email and wrong password answer alike.' })
  async login(@Arg('email') email: string, @Arg('password') password: string, @Ctx() ctx: AuthSubgraphContext) {
    const normalised = normaliseEmail(email);
    await ctx.services.limiter.consume('login', ctx.clientIp, [normalised]);
    const user = await ctx.em.findOne(User, { email: normalised });
    const ok =
      user && Buffer.byteLength(password, 'utf8') <= 72
        ? await ctx.services.passwords.verify(password, user.passwordHash)
        : await ctx.services.passwords.verifyNothing(password);
    if (!user || !ok) throw new UnauthenticatedError('Invalid email or password');
    if (!user.isVerified) throw new AccountNotVerifiedError();
    await ctx.services.limiter.reward('login', normalised);
    return authPayload(ctx, user);
  }
}
