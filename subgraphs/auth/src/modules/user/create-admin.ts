import type { EntityManager } from '@mikro-orm/postgresql';
import { BadUserInputError, ConflictError } from '@hc/graphql';
import { User } from './user.entity.js';
import { normaliseEmail, toE164 } from '../account/contact.js';
import { checkPassword, type PasswordHasher } from '../password/password.js';
import { publishUserChanged } from '../events/user-events.js';

/**
 * The only way an ADMIN account comes to exist (operator command `npm run create-admin`):
 * verified from the start, announced with `user.changed` like any other account.
 */
export async function createAdmin(
  em: EntityManager,
  hasher: PasswordHasher,
  input: { email: string; name: string; password: string; phone?: string },
): Promise<User> {
  const email = normaliseEmail(input.email);
  if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(email)) throw BadUserInputError.field('email', 'email must be a valid email address');
  if (!input.name.trim()) throw BadUserInputError.field('name', 'name is required');
  checkPassword(input.password);
  if (await em.findOne(User, { email })) throw new ConflictError(`An account with ${email} already exists`, 'DUPLICATE');
  const user = new User();
  user.email = email;
  user.name = input.name.trim();
  user.role = 'ADMIN';
  user.isVerified = true;
  // The operator vouches for the address.
  user.emailVerifiedAt = new Date();
  user.phone = input.phone ? toE164(input.phone) : null;
  user.passwordHash = await hasher.hash(input.password);
  await em.transactional(async (tx) => {
    tx.persist(user);
    publishUserChanged(tx, user);
  });
  return user;
}
