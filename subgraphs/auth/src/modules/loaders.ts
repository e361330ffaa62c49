import { byKeys, groupByKeys, loader } from '@hc/graphql';
import { User } from './user/user.entity.js';
import { UserAddress } from './address/address.entity.js';
import { PatientProfile } from './profile/patient-profile.entity.js';
import { CareAccess, CareAccessStatus } from './care/care-access.entity.js';
import type { AuthSubgraphContext } from '../context.js';

/** Per-request batched lookups: a list of N users costs one query per relation. */
export const load = {
  user: (ctx: AuthSubgraphContext, id: string) =>
    loader<string, User | null>(ctx, load.user, async (ids) =>
      byKeys(ids, await ctx.em.find(User, { id: { $in: [...ids] } }), (u) => u.id),
    ).load(id),

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
