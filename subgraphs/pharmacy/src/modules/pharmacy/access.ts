import { NotFoundError, loader, requireUser } from '@hc/graphql';
import { Pharmacy } from './pharmacy.entity.js';
import { PharmacyBranch } from './branch.entity.js';
import type { PharmacySubgraphContext } from '../../context.js';

export const isAdmin = (ctx: PharmacySubgraphContext): boolean => ctx.auth.user?.role === 'ADMIN';

const MY_PHARMACY = Symbol('myPharmacy');

/** The caller's own pharmacy (PHARMACY role), cached for the request. */
export async function myPharmacy(ctx: PharmacySubgraphContext): Promise<Pharmacy | null> {
  const user = ctx.auth.user;
  if (!user || user.role !== 'PHARMACY') return null;
  return loader<string, Pharmacy | null>(ctx, MY_PHARMACY, async (ids) => {
    const rows = await ctx.em.find(Pharmacy, { ownerId: { $in: [...ids] } });
    return ids.map((id) => rows.find((p) => p.ownerId === id) ?? null);
  }).load(user.id);
}

/** A branch the caller owns (or any branch for admins); NOT_FOUND otherwise, so ids of others' branches reveal nothing. */
export async function ownedBranch(
  ctx: PharmacySubgraphContext,
  branchId: string,
): Promise<{ branch: PharmacyBranch; pharmacyOwnerId: string }> {
  const user = requireUser(ctx.auth);
  const branch = await ctx.em.findOne(PharmacyBranch, { id: branchId });
  if (branch) {
    const pharmacy = await ctx.em.findOne(Pharmacy, { id: branch.pharmacyId });
    if (pharmacy && (pharmacy.ownerId === user.id || user.role === 'ADMIN')) {
      return { branch, pharmacyOwnerId: pharmacy.ownerId };
    }
  }
  throw new NotFoundError('Branch');
}
