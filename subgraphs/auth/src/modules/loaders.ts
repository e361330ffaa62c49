import { byKeys, groupByKeys, loader } from '@hc/graphql';
import { User } from './user/user.entity.js';
import { UserAddress } from './address/address.entity.js';
import { PatientProfile } from './profile/patient-profile.entity.js';
import { CareAccess, CareAccessStatus } from './care/care-access.entity.js';
import type { AuthSubgraphContext } from '../context.js';

/**
 * The columns a User read for the API needs: every field of the GraphQL `User` type and everything its
 * field resolvers read (user.resolver.ts: email, phone, dateOfBirth, gender). Not the password hash,
 * verification timestamps, `tokensValidAfter` or `updatedAt`: nothing that answers a query reads them.
 */
export const USER_READ_FIELDS = [
  'id',
  'name',
  'email',
  'phone',
  'role',
  'isVerified',
  'profilePictureUrl',
  'dateOfBirth',
  'gender',
  'createdAt',
] as const satisfies readonly (keyof User)[];

/** A user as read for the API: plain data, not a managed entity (see `load.user`). */
export type UserRead = Pick<User, (typeof USER_READ_FIELDS)[number]>;

/** Per-request batched lookups: a list of N users costs one query per relation. */
export const load = {
  /**
   * Users by id for answers (reference resolution, audit and care relations): read-only, so the
   * rows come back as plain objects through the query builder — no entity hydration, identity map or
   * change-set snapshot — and only the columns of `USER_READ_FIELDS`. Never change and flush them:
   * they are not managed (writes load the entity through `em`).
   */
  user: (ctx: AuthSubgraphContext, id: string) =>
    loader<string, User | null>(ctx, load.user, async (ids) => {
      const rows = await ctx.em
        .createQueryBuilder(User)
        .select([...USER_READ_FIELDS])
        .where({ id: { $in: [...ids] } })
        .execute<UserRead[]>('all');
      // Typed as User for the resolvers' @Root: they read only the fields above.
      return byKeys(ids, rows as User[], (u) => u.id);
    }).load(id),

  addressesOf: (ctx: AuthSubgraphContext, userId: string) =>
    loader<string, UserAddress[]>(ctx, load.addressesOf, async (userIds) =>
      groupByKeys(
        userIds,
        await ctx.em.find(UserAddress, { userId: { $in: [...userIds] } }, { orderBy: { createdAt: 'asc', id: 'asc' } }),
        (a) => a.userId,
      ),
    ).load(userId),

  patientProfile: (ctx: AuthSubgraphContext, userId: string) =>
    loader<string, PatientProfile | null>(ctx, load.patientProfile, async (userIds) =>
      byKeys(userIds, await ctx.em.find(PatientProfile, { userId: { $in: [...userIds] } }), (p) => p.userId),
    ).load(userId),

  /**
   * Whether the caller (a doctor/assistant) has an active care relationship to the patient.
   * The caller is fixed for the request, so the batch key is the patient alone.
   */
  caresFor: (ctx: AuthSubgraphContext, staffUserId: string, patientId: string) =>
    loader<string, boolean>(ctx, load.caresFor, async (patientIds) => {
      // Expiry is exact on read: an ACTIVE row past expires_at opens nothing.
      const rows = await ctx.em.find(CareAccess, {
        staffUserId,
        patientId: { $in: [...patientIds] },
        status: CareAccessStatus.ACTIVE,
        $or: [{ expiresAt: null }, { expiresAt: { $gt: new Date() } }],
      });
      const allowed = new Set(rows.map((r) => r.patientId));
      return patientIds.map((id) => allowed.has(id));
    }).load(patientId),
};
