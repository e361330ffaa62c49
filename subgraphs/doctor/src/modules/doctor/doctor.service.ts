import {
  BadUserInputError,
  ConflictError,
  ForbiddenError,
  NotFoundError,
  pageSize,
  requireUser,
  toConnection,
} from '@hc/graphql';
import { outbox } from '@hc/jobs';
import { lockInOrder, readPlainPage } from '@hc/db';
import { Doctor, VerificationStatus } from './doctor.entity.js';
import type { DoctorFilter, DoctorProfileInput } from './doctor.inputs.js';
import { UserCopy } from '../user/user-copy.entity.js';
import type { Workplace } from '../workplace/workplace.entity.js';
import { load } from '../loaders.js';
import { publishCareStateForDoctor } from '../care.js';
import type { DoctorSubgraphContext } from '../../context.js';

export const canSeePrivateDoctor = (doctor: Doctor, ctx: DoctorSubgraphContext) =>
  ctx.auth.user?.role === 'ADMIN' || ctx.auth.user?.id === doctor.userId;

/** Non-approved profiles are visible to their doctor and admins only. */
export const visibleDoctor = (doctor: Doctor | null, ctx: DoctorSubgraphContext): Doctor | null =>
  doctor && (doctor.verificationStatus === VerificationStatus.APPROVED || canSeePrivateDoctor(doctor, ctx)) ? doctor : null;

/** A doctor by id if the caller may see it (doctor(id) and the federation reference), else null. */
export async function findVisibleDoctor(ctx: DoctorSubgraphContext, id: string): Promise<Doctor | null> {
  return visibleDoctor(await load.doctor(ctx, id), ctx);
}

/** The doctor profile of a user, if the caller may see it. */
export async function doctorProfileOf(ctx: DoctorSubgraphContext, userId: string): Promise<Doctor | null> {
  return visibleDoctor(await load.doctorOfUser(ctx, userId), ctx);
}

const escapeLike = (s: string) => s.replace(/[\\%_]/g, (c) => `\\${c}`);

/** The public directory: APPROVED doctors only, filtered, one page. */
export async function listDoctors(
  ctx: DoctorSubgraphContext,
  filter: DoctorFilter | undefined,
  first: number | undefined,
  after: string | undefined,
) {
  const where: Record<string, unknown> = { verificationStatus: VerificationStatus.APPROVED };
  if (filter?.specialization) where.specialization = { $ilike: escapeLike(filter.specialization.trim()) };
  if (filter?.search?.trim()) {
    const like = `%${escapeLike(filter.search.trim())}%`;
    where.$or = [{ name: { $ilike: like } }, { specialization: { $ilike: like } }];
  }
  if (filter?.city?.trim()) {
    // One statement whatever the page size: doctors with an active workplace in that city.
    const rows = await ctx.em
      .getConnection()
      .execute<{ doctor_id: string }[]>(`select distinct doctor_id from workplaces where is_active and lower(city) = lower(?)`, [
        filter.city.trim(),
      ]);
    where.id = { $in: rows.map((r) => r.doctor_id) };
  }
  // Read-only page: plain rows (readPlainPage), the same SQL and cursors as em.findByCursor.
  const cursor = await readPlainPage(ctx.em, Doctor, {
    where,
    first: pageSize(first),
    after: after ?? undefined,
    orderBy: { createdAt: 'asc', id: 'asc' },
  });
  return toConnection(cursor);
}

/**
 * Creates or updates the caller's profile; a changed license number goes back to PENDING review.
 * A number another profile already has is accepted the same way (answering "taken" would let any
 * DOCTOR account confirm other doctors' numbers) and flagged `licenseShared` for the admin, who
 * cannot approve two profiles with one number (reviewDoctor; a partial unique index).
 */
export async function upsertDoctorProfile(ctx: DoctorSubgraphContext, input: DoctorProfileInput): Promise<Doctor> {
  const user = requireUser(ctx.auth);
  const em = ctx.em;
  const shared = (await em.count(Doctor, { licenseNumber: input.licenseNumber, userId: { $ne: user.id } })) > 0;
  let doctor = await em.findOne(Doctor, { userId: user.id });
  if (!doctor) {
    doctor = em.create(Doctor, {
      userId: user.id,
      specialization: input.specialization,
      licenseNumber: input.licenseNumber,
      name: (await em.findOne(UserCopy, { userId: user.id }))?.name ?? null,
    } as Doctor);
  } else if (doctor.licenseNumber !== input.licenseNumber || shared) {
    // A new (or shared) license number has not been checked by an admin.
    doctor.verificationStatus = VerificationStatus.PENDING;
  }
  doctor.licenseShared = shared;
  if (shared)
    ctx.logger.warn({ doctorId: doctor.id }, 'doctor profile entered a license number another profile has; held for review');
  doctor.specialization = input.specialization.trim();
  doctor.licenseNumber = input.licenseNumber;
  doctor.biography = input.biography ?? null;
  await em.flush();
  return doctor;
}

/** Admin review: the new status and the doctor's notification commit together. */
export async function reviewDoctor(
  ctx: DoctorSubgraphContext,
  doctorId: string,
  status: VerificationStatus,
  reason: string | undefined,
): Promise<Doctor> {
  if (status === VerificationStatus.PENDING) throw BadUserInputError.field('status', 'status must be APPROVED or REJECTED');
  if (status === VerificationStatus.REJECTED && !reason?.trim())
    throw BadUserInputError.field('reason', 'a reason is required when rejecting');
  if (reason && reason.length > 2000) throw BadUserInputError.field('reason', 'reason is at most 2000 characters');
  return ctx.em.transactional(async (em) => {
    const doctor = await em.findOne(Doctor, { id: doctorId });
    if (!doctor) throw new NotFoundError('Doctor');
    // Admins only: the friendly answer; the partial unique index is the guarantee.
    if (
      status === VerificationStatus.APPROVED &&
      (await em.count(Doctor, {
        licenseNumber: doctor.licenseNumber,
        id: { $ne: doctor.id },
        verificationStatus: VerificationStatus.APPROVED,
      })) > 0
    )
      throw new ConflictError('Another approved doctor profile has this license number', 'LICENSE_TAKEN');
    doctor.verificationStatus = status;
    doctor.reviewReason = reason?.trim() || null;
    doctor.updatedAt = new Date();
    // A rejected doctor (and their assistants) lose access in this transaction's care events.
    await lockInOrder(em, [`doctor:${doctor.id}`]);
    await em.flush();
    await publishCareStateForDoctor(em, doctor.id);
    outbox.notify(em, {
      idempotencyKey: `doctor:${doctor.id}:review:${doctor.updatedAt.getTime()}`,
      userId: doctor.userId,
      template: 'doctor.review_result',
      variables: { status, reason: doctor.reviewReason ?? '' },
    });
    return doctor;
  });
}

/** The license number: the doctor and admins only. */
export function licenseNumberOf(ctx: DoctorSubgraphContext, doctor: Doctor): string {
  if (!canSeePrivateDoctor(doctor, ctx)) throw new ForbiddenError('Only the doctor and admins see the license number');
  return doctor.licenseNumber;
}

/** Why the last review rejected the profile: the doctor and admins only (null to others and when none). */
export function reviewReasonOf(ctx: DoctorSubgraphContext, doctor: Doctor): string | null {
  return canSeePrivateDoctor(doctor, ctx) ? (doctor.reviewReason ?? null) : null;
}

/** Active workplaces; the doctor and admins also see inactive ones. */
export async function workplacesOf(ctx: DoctorSubgraphContext, doctor: Doctor): Promise<Workplace[]> {
  const all = await load.workplacesOfDoctor(ctx, doctor.id);
  return canSeePrivateDoctor(doctor, ctx) ? all : all.filter((w) => w.isActive);
}
