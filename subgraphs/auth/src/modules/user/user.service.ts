import type { EntityManager } from '@mikro-orm/postgresql';
import { auditChange, type AuditContext } from '@hc/audit';
import { ForbiddenError, NotFoundError, pageSize, toConnection, type ConnectionShape } from '@hc/graphql';
import { Role, User } from './user.entity.js';
import type { UpdateProfileInput } from './user.inputs.js';
import type { UserAddress } from '../address/address.entity.js';
import type { PatientProfile } from '../profile/patient-profile.entity.js';
import { canSeeCareData } from '../care/care.access.js';
import { toE164 } from '../account/contact.js';
import { publishUserChanged } from '../events/user-events.js';
import { load } from '../loaders.js';
import type { AuthSubgraphContext } from '../../context.js';

/** The user themself (signed in, or who just proved identity in this request). */
export const isSelf = (ctx: AuthSubgraphContext, userId: string): boolean =>
  ctx.auth.user?.id === userId || ctx.provenUserIds.has(userId);

/** Self or admin: who may read a user's contact and personal fields. */
export const canSeePersonal = (ctx: AuthSubgraphContext, userId: string): boolean =>
  isSelf(ctx, userId) || ctx.auth.user?.role === 'ADMIN';

/** The signed-in user; null when anonymous. */
export async function currentUser(ctx: AuthSubgraphContext): Promise<User | null> {
  if (!ctx.auth.user) return null;
  return ctx.em.findOne(User, { id: ctx.auth.user.id });
}

/** A user as seen by themself or an admin; anyone else gets NOT_FOUND, as for a missing user. */
export async function visibleUser(ctx: AuthSubgraphContext, id: string): Promise<User> {
  if (!canSeePersonal(ctx, id)) throw new NotFoundError('User');
  const user = await ctx.em.findOne(User, { id });
  if (!user) throw new NotFoundError('User');
  return user;
}

/** One page of all users, oldest first, optionally of one role. */
export async function listUsers(
  em: EntityManager,
  role: Role | null | undefined,
  first: number | null | undefined,
  after: string | null | undefined,
): Promise<ConnectionShape<User>> {
  const cursor = await em.findByCursor(User, {
    where: role ? { role } : {},
    first: pageSize(first),
    after: after ?? undefined,
    orderBy: { createdAt: 'asc', id: 'asc' },
  });
  return toConnection(cursor);
}

/**
 * The signed-in user edits their own profile; other services hear of it through the outbox. A
 * patient's phone and date of birth are protected: their change is audited in the same transaction.
 */
export async function updateProfile(
  em: EntityManager,
  userId: string,
  input: UpdateProfileInput,
  audit: AuditContext | null = null,
): Promise<User> {
  return em.transactional(async (tx) => {
    const user = await tx.findOne(User, { id: userId });
    if (!user) throw new NotFoundError('User');
    if (input.name != null) user.name = input.name.trim();
    if (input.phone !== undefined) user.phone = input.phone ? toE164(input.phone) : null;
    if (input.profilePictureUrl !== undefined) user.profilePictureUrl = input.profilePictureUrl;
    if (input.dateOfBirth !== undefined) user.dateOfBirth = input.dateOfBirth;
    if (input.gender !== undefined) user.gender = input.gender;
    user.updatedAt = new Date();
    publishUserChanged(tx, user);
    await tx.flush();
    const fields = (['phone', 'dateOfBirth'] as const).filter((f) => input[f] !== undefined);
    if (user.role === 'PATIENT' && fields.length > 0) {
      await auditChange(tx, 'auth', audit, {
        action: 'UPDATE',
        resourceType: 'User',
        resourceId: user.id,
        patientId: user.id,
        fields,
      });
    }
    return user;
  });
}

/** The email, for the user, admins, and staff with a care relationship. */
export async function visibleEmail(ctx: AuthSubgraphContext, user: User): Promise<string> {
  if (!(await canSeeCareData(ctx, user.id))) throw new ForbiddenError('Not allowed to see this email');
  return user.email;
}

/** The address book, for the user and admins only. */
export async function visibleAddresses(ctx: AuthSubgraphContext, userId: string): Promise<UserAddress[]> {
  if (!canSeePersonal(ctx, userId)) throw new ForbiddenError('Not allowed to see these addresses');
  return load.addressesOf(ctx, userId);
}

/** Health data: the patient, admins, and staff with a care relationship. */
export async function visiblePatientProfile(ctx: AuthSubgraphContext, userId: string): Promise<PatientProfile | null> {
  if (!(await canSeeCareData(ctx, userId))) throw new ForbiddenError('Not allowed to see this health profile');
  return load.patientProfile(ctx, userId);
}
