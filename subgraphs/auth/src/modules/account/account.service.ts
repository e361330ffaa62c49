import { randomUUID } from 'node:crypto';
import { UniqueConstraintViolationException } from '@mikro-orm/postgresql';
import { AccountNotVerifiedError, BadUserInputError, UnauthenticatedError } from '@hc/graphql';
import { outbox } from '@hc/jobs';
import { User } from '../user/user.entity.js';
import { OtpPurpose, sendOtp, sendOtpNow } from '../otp/otp.service.js';
import { checkPassword } from '../password/password.js';
import { publishUserChanged } from '../events/user-events.js';
import { signIn } from '../tokens/token.service.js';
import { OtpChannel, type AuthPayload, type RegisterInput, type RegisterPayload } from './account.inputs.js';
import { maskDestination, normaliseEmail, toE164 } from './contact.js';
import type { AuthSubgraphContext } from '../../context.js';

const invalidCode = () => BadUserInputError.field('code', 'The code is invalid or has expired');

/** Someone tried to register an existing email: the owner hears of it; the caller learns nothing. */
async function noticeExisting(ctx: AuthSubgraphContext, user: User): Promise<void> {
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

/**
 * Creates an unverified account and sends its OTP. An existing email (also one a concurrent
 * registration just took) gets the same answer, and the same time spent, as a new one.
 */
export async function register(ctx: AuthSubgraphContext, input: RegisterInput): Promise<RegisterPayload> {
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
    await noticeExisting(ctx, existing);
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
      await sendOtp(ctx, tx, user, channel, OtpPurpose.VERIFY);
    });
  } catch (error) {
    // A concurrent registration of the same email won the unique index: answer as for an existing account.
    if (!(error instanceof UniqueConstraintViolationException)) throw error;
    ctx.em.clear();
    const winner = await ctx.em.findOne(User, { email });
    if (winner) await noticeExisting(ctx, winner);
  }
  return payload;
}

/** Verifies the account with its OTP (code use and verification commit together) and signs in. */
export async function verifyAccount(ctx: AuthSubgraphContext, email: string, code: string): Promise<AuthPayload> {
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
  return signIn(ctx, user);
}

/**
 * Sends a new verification code, only to an existing unverified account; the answer does not
 * say which. A phone channel is used only when the account has a phone, else email.
 */
export async function resendVerification(
  ctx: AuthSubgraphContext,
  email: string,
  channel: OtpChannel | null | undefined,
): Promise<void> {
  const normalised = normaliseEmail(email);
  const user = await ctx.em.findOne(User, { email: normalised });
  const via = channel && channel !== OtpChannel.EMAIL && user?.phone ? channel : OtpChannel.EMAIL;
  // Per account and per destination (a phone number shared by accounts is limited once).
  const keys = [normalised, ...(via !== OtpChannel.EMAIL && user?.phone ? [`phone:${user.phone}`] : [])];
  await ctx.services.limiter.consume('resendOtp', ctx.clientIp, keys);
  if (user && !user.isVerified) await sendOtpNow(ctx, user, via, OtpPurpose.VERIFY);
}

/** Signs in. Unknown email and wrong password answer alike, after the same bcrypt work. */
export async function login(ctx: AuthSubgraphContext, email: string, password: string): Promise<AuthPayload> {
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
  return signIn(ctx, user);
}
