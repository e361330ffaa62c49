import type { EntityManager } from '@mikro-orm/postgresql';
import { ForbiddenError, NotFoundError, requireUser } from '@hc/graphql';
import type { AuthUser } from '@hc/auth';
import { Doctor } from './doctor/doctor.entity.js';
import { AssistantAssignment } from './assistant/assistant.entity.js';
import type { DoctorSubgraphContext } from '../context.js';

/** Per-request memo in the context's loader map (one query per request, however many fields ask). */
function memo<T>(ctx: DoctorSubgraphContext, key: symbol, load: () => Promise<T>): Promise<T> {
  let p = ctx.loaders.get(key) as Promise<T> | undefined;
  if (!p) {
    p = load();
    ctx.loaders.set(key, p);
  }
  return p;
}

const MY_DOCTOR = Symbol('myDoctor');
const MY_WORKPLACES = Symbol('myAssignedWorkplaces');

/** The caller's doctor profile (DOCTOR role), or null. */
export function myDoctorOrNull(ctx: DoctorSubgraphContext): Promise<Doctor | null> {
  const user = requireUser(ctx.auth);
  if (user.role !== 'DOCTOR') return Promise.resolve(null);
  return memo(ctx, MY_DOCTOR, () => ctx.em.findOne(Doctor, { userId: user.id }));
}

/** The caller's doctor profile; FORBIDDEN for other roles, NOT_FOUND before the profile exists. */
export async function requireMyDoctor(ctx: DoctorSubgraphContext): Promise<Doctor> {
  const user = requireUser(ctx.auth);
  if (user.role !== 'DOCTOR') throw new ForbiddenError('Only doctors can do this');
  const doctor = await myDoctorOrNull(ctx);
  if (!doctor) throw new NotFoundError('Doctor profile');
  return doctor;
}

/** Workplace ids the calling assistant is currently assigned to (empty for other roles). */
export function myAssignedWorkplaceIds(ctx: DoctorSubgraphContext): Promise<Set<string>> {
  const user = requireUser(ctx.auth);
  if (user.role !== 'ASSISTANT') return Promise.resolve(new Set());
  return memo(ctx, MY_WORKPLACES, async () => {
    const rows = await ctx.em.find(AssistantAssignment, { assistantId: user.id, revokedAt: null }, { fields: ['workplaceId'] });
    return new Set(rows.map((r) => r.workplaceId));
  });
}

/** Active assistant user ids per workplace (one query). */
export async function assistantsOf(em: EntityManager, workplaceIds: string[]): Promise<Map<string, string[]>> {
  const map = new Map<string, string[]>();
  if (workplaceIds.length === 0) return map;
  const rows = await em.find(AssistantAssignment, { workplaceId: { $in: workplaceIds }, revokedAt: null });
  for (const r of rows) map.set(r.workplaceId, [...(map.get(r.workplaceId) ?? []), r.assistantId]);
  return map;
}

/** Assistants assigned to one workplace now (read after the workplace lock). */
export async function staffOf(em: EntityManager, workplaceId: string): Promise<string[]> {
  return (await assistantsOf(em, [workplaceId])).get(workplaceId) ?? [];
}

/** Staff of a workplace acting on it: the owning doctor or an assistant assigned to it. */
export async function isStaffOf(ctx: DoctorSubgraphContext, workplace: { id: string; doctorId: string }): Promise<boolean> {
  const user: AuthUser = requireUser(ctx.auth);
  if (user.role === 'DOCTOR') return (await myDoctorOrNull(ctx))?.id === workplace.doctorId;
  if (user.role === 'ASSISTANT') return (await myAssignedWorkplaceIds(ctx)).has(workplace.id);
  return false;
}

/** Who may read an appointment: its patient, its doctor, assistants of its workplace, admins. */
export async function canSeeAppointment(
  ctx: DoctorSubgraphContext,
  a: { patientId: string; doctorUserId: string; workplaceId: string },
): Promise<boolean> {
  const user = ctx.auth.user;
  if (!user) return false;
  if (user.role === 'ADMIN' || user.id === a.patientId || user.id === a.doctorUserId) return true;
  if (user.role === 'ASSISTANT') return (await myAssignedWorkplaceIds(ctx)).has(a.workplaceId);
  return false;
}
