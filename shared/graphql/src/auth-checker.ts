import type { AuthContext } from '@hc/auth';
import { ForbiddenError, UnauthenticatedError } from './errors.js';

/**
 * type-graphql authChecker: `@Authorized()` needs a signed-in user, `@Authorized('ADMIN')`
 * one of the roles. Anonymous → UNAUTHENTICATED, wrong role → FORBIDDEN. Ownership
 * checks live in the resolvers, which have the data.
 */
// An arrow function on purpose: type-graphql treats anything with a `prototype` (a `function`
// declaration) as an auth-checker class and tries to instantiate it.
export const authChecker = ({ context }: { context: { auth: AuthContext } }, roles: string[]): boolean => {
  const user = context.auth.user;
  if (!user) throw new UnauthenticatedError();
  if (roles.length > 0 && !roles.includes(user.role)) throw new ForbiddenError();
  return true;
};

/** The signed-in user or UNAUTHENTICATED. */
export function requireUser(auth: AuthContext) {
  if (!auth.user) throw new UnauthenticatedError();
  return auth.user;
}
