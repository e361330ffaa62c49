import { load } from '../loaders.js';
import type { AuthSubgraphContext } from '../../context.js';

/**
 * Whether the caller is a doctor/assistant whose access to the patient's health data is ACTIVE
 * and not expired (consent given, relationship current). Batched per request: a list of patients
 * costs one query.
 */
export async function hasCareRelationship(ctx: AuthSubgraphContext, patientId: string): Promise<boolean> {
  const viewer = ctx.auth.user;
  if (!viewer || (viewer.role !== 'DOCTOR' && viewer.role !== 'ASSISTANT')) return false;
  return load.caresFor(ctx, viewer.id, patientId);
}

/** Self, admins, or staff caring for the patient. */
export async function canSeeCareData(ctx: AuthSubgraphContext, userId: string): Promise<boolean> {
  if (ctx.provenUserIds.has(userId)) return true;
  const viewer = ctx.auth.user;
  if (!viewer) return false;
  if (viewer.id === userId || viewer.role === 'ADMIN') return true;
  return hasCareRelationship(ctx, userId);
}
