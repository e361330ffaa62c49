import { parsePhoneNumberFromString } from 'libphonenumber-js/max';
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
