import { loader } from '@hc/graphql';
import { CareRelationship } from './care-relationship.entity.js';
import type { AuthSubgraphContext } from '../../context.js';

/**
 * Whether the caller is a doctor/assistant with an active care relationship to the patient.
 * Batched per request: a list of patients costs one query.
 */
export async function hasCareRelationship(ctx: AuthSubgraphContext, patientId: string): Promise<boolean> {
  const viewer = ctx.auth.user;
  if (!viewer || (viewer.role !== 'DOCTOR' && viewer.role !== 'ASSISTANT')) return false;
  return loader<string, boolean>(ctx, hasCareRelationship, async (patientIds) => {
    const rows = await ctx.em.find(CareRelationship, {
      staffUserId: viewer.id,
      patientId: { $in: [...patientIds] },
      active: true,
    });
    const allowed = new Set(rows.map((r) => r.patientId));
    return patientIds.map((id) => allowed.has(id));
  }).load(patientId);
}

/** Self, admins, or staff caring for the patient. */
export async function canSeeCareData(ctx: AuthSubgraphContext, userId: string): Promise<boolean> {
  if (ctx.provenUserIds.has(userId)) return true;
  const viewer = ctx.auth.user;
  if (!viewer) return false;
  if (viewer.id === userId || viewer.role === 'ADMIN') return true;
  return hasCareRelationship(ctx, userId);
}
