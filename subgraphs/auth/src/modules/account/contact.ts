import { parsePhoneNumberFromString } from 'libphonenumber-js/max';
import { OtpChannel } from './account.inputs.js';
import { BadUserInputError } from '@hc/graphql';

/** Emails are stored trimmed and lower-cased; lookups normalise the same way. */
export const normaliseEmail = (email: string): string => email.trim().toLowerCase();

/** International number → E.164, or BAD_USER_INPUT naming the field. */
export function toE164(phone: string, field = 'phone'): string {
  const parsed = parsePhoneNumberFromString(phone.trim());
  if (!parsed || !parsed.isValid()) {
    throw BadUserInputError.field(field, 'Phone must be a valid international number, e.g. +201001234567');
  }
  return parsed.format('E.164');
}

/** "alice@example.com" → "a***@example.com"; "+201001234567" → "+20********67". */
export function maskDestination(destination: string): string {
  const at = destination.indexOf('@');
  if (at > 0) return `${destination[0]}***${destination.slice(at)}`;
  return `${destination.slice(0, 3)}${'*'.repeat(Math.max(0, destination.length - 5))}${destination.slice(-2)}`;
}

/**
 * Where security messages (reset codes, "password changed", "account exists") go: the email only
 * once the account proved it owns it, else the phone it proved; null when it proved neither.
 */
export function securityChannel(user: { emailVerifiedAt?: Date | null; phoneVerifiedAt?: Date | null }): OtpChannel | null {
  if (user.emailVerifiedAt) return OtpChannel.EMAIL;
  if (user.phoneVerifiedAt) return OtpChannel.SMS;
  return null;
}

/**
 * Floor on the answer time of the operations whose answer must not reveal whether an email has
 * an account (forgotPassword, resendOtp, failed verifyOtp/resetPassword). The work behind them
 * (a lookup, a short transaction) takes a few to a few tens of milliseconds; the floor hides the
 * difference between doing it and not.
 */
export const UNIFORM_ANSWER_MS = 250;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Runs `work` and answers, with its value or its error, no earlier than `UNIFORM_ANSWER_MS` after the start. */
export async function uniformly<T>(work: () => Promise<T>): Promise<T> {
  const started = performance.now();
  try {
    return await work();
  } finally {
    const left = UNIFORM_ANSWER_MS - (performance.now() - started);
    if (left > 0) await sleep(left);
  }
}

/** Like `uniformly`, but a success answers at once (only the failure answers are shared by known and unknown emails). */
export async function uniformFailure<T>(work: () => Promise<T>): Promise<T> {
  const started = performance.now();
  try {
    return await work();
  } catch (error) {
    const left = UNIFORM_ANSWER_MS - (performance.now() - started);
    if (left > 0) await sleep(left);
    throw error;
  }
}
