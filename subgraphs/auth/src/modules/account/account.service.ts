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
import { maskDestination, normaliseEmail, securityChannel, toE164, uniformFailure, uniformly } from './contact.js';
import type { AuthSubgraphContext } from '../../context.js';

const invalidCode = () => BadUserInputError.field('code', 'The code is invalid or has expired');

/**
 * Someone tried to register an existing email: the account's owner hears of it on a contact it
 * proved (not on an email it never verified); the caller learns nothing.
 */
async function noticeExisting(ctx: AuthSubgraphContext, user: User): Promise<void> {
  const channel = securityChannel(user);
  if (!channel) return;
  outbox.notify(ctx.em, {
    idempotencyKey: `auth:account-exists:${user.id}:${randomUUID()}`,
    userId: user.id,
    template: 'auth.account_exists',
    channel,
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
  // An overloaded password gate answers before the attempt is counted against the limits.
  ctx.services.passwords.admit();
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

/**
 * Verifies a contact with the code sent to it, and signs in. Anyone holding the code may verify
 * a not yet verified account (registration); a verified account verifies a further contact
 * (its email after registering by phone) only when signed in as itself. The contact the code
 * was sent on is the one proved. Unknown emails and every refusal answer alike, after the same
 * lookup, transaction and HMAC, and no sooner than the uniform answer time.
 */
export async function verifyAccount(ctx: AuthSubgraphContext, email: string, code: string): Promise<AuthPayload> {
  const normalised = normaliseEmail(email);
  const user = await uniformFailure(async () => {
    await ctx.services.limiter.consume('verifyOtp', ctx.clientIp, [normalised]);
    const found = await ctx.em.findOne(User, { email: normalised });
    const target = found && (!found.isVerified || ctx.auth.user?.id === found.id) ? found : null;
    // An ineligible or unknown account checks against a random id: the same statements, no code burnt.
    const proved = await ctx.em.transactional(async (tx) => {
      const channel = await ctx.services.otp.consume(tx, target?.id ?? randomUUID(), OtpPurpose.VERIFY, code.trim());
      if (!channel || !target) return false;
      const now = new Date();
      if (channel === OtpChannel.EMAIL) target.emailVerifiedAt ??= now;
      else target.phoneVerifiedAt ??= now;
      target.isVerified = true;
      target.updatedAt = now;
      publishUserChanged(tx, target);
      return true;
    });
    if (!proved || !target) throw invalidCode();
    return target;
  });
  await ctx.services.limiter.succeeded('verifyOtp', ctx.clientIp, normalised);
  return signIn(ctx, user);
}

/**
 * Sends a new verification code; the answer (always the same, no sooner than the uniform answer
 * time) does not say whether one was sent. Codes go to an existing unverified account, or — when
 * the caller is signed in as the account — to a contact of it not yet verified (e.g. the email
 * of an account registered by phone). WHATSAPP/SMS need a phone on the account, else EMAIL.
 */
export async function resendVerification(
  ctx: AuthSubgraphContext,
  email: string,
  channel: OtpChannel | null | undefined,
): Promise<void> {
  const normalised = normaliseEmail(email);
  await uniformly(async () => {
    const user = await ctx.em.findOne(User, { email: normalised });
    const via = channel && channel !== OtpChannel.EMAIL && user?.phone ? channel : OtpChannel.EMAIL;
    // Per account and per destination (a phone number shared by accounts is limited once).
    const keys = [normalised, ...(via !== OtpChannel.EMAIL && user?.phone ? [`phone:${user.phone}`] : [])];
    await ctx.services.limiter.consume('resendOtp', ctx.clientIp, keys);
    if (!user) return;
    const own = ctx.auth.user?.id === user.id;
    const unproved = via === OtpChannel.EMAIL ? !user.emailVerifiedAt : !user.phoneVerifiedAt;
    if (!user.isVerified || (own && unproved)) await sendOtpNow(ctx, user, via, OtpPurpose.VERIFY);
  });
}

/** Signs in. Unknown email and wrong password answer alike, after the same bcrypt work. */
export async function login(ctx: AuthSubgraphContext, email: string, password: string): Promise<AuthPayload> {
  const normalised = normaliseEmail(email);
  // An overloaded password gate answers before the attempt is counted against the limits.
  ctx.services.passwords.admit();
  await ctx.services.limiter.consume('login', ctx.clientIp, [normalised]);
  const user = await ctx.em.findOne(User, { email: normalised });
  const ok =
    user && Buffer.byteLength(password, 'utf8') <= 72
      ? await ctx.services.passwords.verify(password, user.passwordHash)
      : await ctx.services.passwords.verifyNothing(password);
  if (!user || !ok) throw new UnauthenticatedError('Invalid email or password');
  if (!user.isVerified) throw new AccountNotVerifiedError();
  await ctx.services.limiter.succeeded('login', ctx.clientIp, normalised);
  return signIn(ctx, user);
}
