import { Arg, Authorized, Ctx, FieldResolver, ID, Int, Mutation, ObjectType, Query, Resolver, Root } from 'type-graphql';
import {
  BadUserInputError,
  ConflictError,
  Connection,
  ForbiddenError,
  NotFoundError,
  byKeys,
  groupByKeys,
  loader,
  pageSize,
  requireUser,
  toConnection,
} from '@hc/graphql';
import { outbox } from '@hc/jobs';
import { Doctor, VerificationStatus } from './doctor.entity.js';
import { DoctorFilter, DoctorProfileInput } from './doctor.inputs.js';
import { UserRef, userRef } from '../user/user.reference.js';
import { UserCopy } from '../user/user-copy.entity.js';
import { Workplace } from '../workplace/workplace.entity.js';
import { Appointment, AppointmentStatus } from '../appointment/appointment.entity.js';
import { Slot, checkRange, generateSlots } from '../availability/slots.js';
import type { DoctorSubgraphContext } from '../../context.js';

@ObjectType()
export class DoctorConnection extends Connection(Doctor) {}

export const canSeePrivateDoctor = (doctor: Doctor, ctx: DoctorSubgraphContext) =>
  ctx.auth.user?.role === 'ADMIN' || ctx.auth.user?.id === doctor.userId;

/** Non-approved profiles are visible to their doctor and admins only. */
export const visibleDoctor = (doctor: Doctor | null, ctx: DoctorSubgraphContext): Doctor | null =>
  doctor && (doctor.verificationStatus === VerificationStatus.APPROVED || canSeePrivateDoctor(doctor, ctx)) ? doctor : null;

/** Batched: doctors by id. */
export const doctorById = (ctx: DoctorSubgraphContext, id: string) =>
  loader<string, Doctor | null>(ctx, doctorById, async (ids) =>
    byKeys(ids, await ctx.em.find(Doctor, { id: { $in: [...ids] } }), (d) => d.id),
  ).load(id);

/** Batched: every workplace of each doctor. */
export const workplacesOfDoctor = (ctx: DoctorSubgraphContext, doctorId: string) =>
  loader<string, Workplace[]>(ctx, workplacesOfDoctor, async (ids) =>
    groupByKeys(
      ids,
      await ctx.em.find(Workplace, { doctorId: { $in: [...ids] } }, { orderBy: { isPrimary: 'desc', createdAt: 'asc' } }),
      (w) => w.doctorId,
    ),
  ).load(doctorId);

interface TakenKey {
  doctorId: string;
  from: Date;
  to: Date;
}

/**
 * Batched: non-cancelled appointment times per doctor and range. A directory page asking
 * availableSlots for every doctor costs one query (over the union of the ranges), not one each.
 */
const takenTimes = (ctx: DoctorSubgraphContext, doctorId: string, from: Date, to: Date) =>
  loader<TakenKey, { startsAt: Date; endsAt: Date }[]>(ctx, takenTimes, async (keys) => {
    const min = new Date(Math.min(...keys.map((k) => k.from.getTime())));
    const max = new Date(Math.max(...keys.map((k) => k.to.getTime())));
    const rows = await ctx.em.find(
      Appointment,
      {
        doctorId: { $in: [...new Set(keys.map((k) => k.doctorId))] },
        status: { $ne: AppointmentStatus.CANCELLED },
        startsAt: { $lt: max },
        endsAt: { $gt: min },
      },
      { fields: ['doctorId', 'startsAt', 'endsAt'] },
    );
    return keys.map((k) => rows.filter((a) => a.doctorId === k.doctorId && a.startsAt < k.to && a.endsAt > k.from));
  }).load({ doctorId, from, to });

const escapeLike = (s: string) => s.replace(/[\\%_]/g, (c) => `\\${c}`);

@Resolver(() => Doctor)
export class DoctorResolver {
  @Query(() => DoctorConnection, { description: 'Public directory: APPROVED doctors only.' })
  async doctors(
    @Ctx() ctx: DoctorSubgraphContext,
    @Arg('filter', () => DoctorFilter, { nullable: true }) filter?: DoctorFilter,
    @Arg('first', () => Int, { nullable: true, defaultValue: 20 }) first?: number,
    @Arg('after', () => String, { nullable: true }) after?: string,
  ): Promise<DoctorConnection> {
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
        .execute<{ doctor_id: string }[]>(
          `select distinct doctor_id from workplaces where is_active and lower(city) = lower(?)`,
          [filter.city.trim()],
        );
      where.id = { $in: rows.map((r) => r.doctor_id) };
    }
    const cursor = await ctx.em.findByCursor(Doctor, {
      where,
      first: pageSize(first),
      after: after ?? undefined,
      orderBy: { createdAt: 'asc', id: 'asc' },
    });
    return toConnection(cursor);
  }

  @Query(() => Doctor, {
    nullable: true,
    description: 'An approved doctor; the doctor themself and admins also see other states.',
  })
  async doctor(@Arg('id', () => ID) id: string, @Ctx() ctx: DoctorSubgraphContext): Promise<Doctor | null> {
    return visibleDoctor(await doctorById(ctx, id), ctx);
  }

  @Authorized('DOCTOR')
  @Mutation(() => Doctor, { description: "Creates or updates the caller's doctor profile (PENDING until reviewed)." })
  async upsertDoctorProfile(
    @Arg('input', () => DoctorProfileInput) input: DoctorProfileInput,
    @Ctx() ctx: DoctorSubgraphContext,
  ): Promise<Doctor> {
    const user = requireUser(ctx.auth);
    const em = ctx.em;
    const taken = await em.findOne(Doctor, { licenseNumber: input.licenseNumber, userId: { $ne: user.id } });
    if (taken) throw new ConflictError('This license number is already registered', 'LICENSE_TAKEN');
    let doctor = await em.findOne(Doctor, { userId: user.id });
    if (!doctor) {
      doctor = em.create(Doctor, {
        userId: user.id,
        specialization: input.specialization,
        licenseNumber: input.licenseNumber,
        name: (await em.findOne(UserCopy, { userId: user.id }))?.name ?? null,
      } as Doctor);
    } else if (doctor.licenseNumber !== input.licenseNumber) {
      // A new license number has not been checked by an admin.
      doctor.verificationStatus = VerificationStatus.PENDING;
    }
    doctor.specialization = input.specialization.trim();
    doctor.licenseNumber = input.licenseNumber;
    doctor.biography = input.biography ?? null;
    await em.flush();
    return doctor;
  }

  @Authorized('ADMIN')
  @Mutation(() => Doctor, { description: 'Admin: approve or reject a doctor profile; the doctor is notified.' })
  async reviewDoctor(
    @Arg('doctorId', () => ID) doctorId: string,
    @Arg('status', () => VerificationStatus) status: VerificationStatus,
    @Arg('reason', () => String, { nullable: true }) reason: string | undefined,
    @Ctx() ctx: DoctorSubgraphContext,
  ): Promise<Doctor> {
    if (status === VerificationStatus.PENDING) throw BadUserInputError.field('status', 'status must be APPROVED or REJECTED');
    if (status === VerificationStatus.REJECTED && !reason?.trim())
      throw BadUserInputError.field('reason', 'a reason is required when rejecting');
    if (reason && reason.length > 2000) throw BadUserInputError.field('reason', 'reason is at most 2000 characters');
    return ctx.em.transactional(async (em) => {
      const doctor = await em.findOne(Doctor, { id: doctorId });
      if (!doctor) throw new NotFoundError('Doctor');
      doctor.verificationStatus = status;
      doctor.reviewReason = reason?.trim() || null;
      doctor.updatedAt = new Date();
      outbox.notify(em, {
        idempotencyKey: `doctor:${doctor.id}:review:${doctor.updatedAt.getTime()}`,
        userId: doctor.userId,
        template: 'doctor.review_result',
        variables: { status, reason: doctor.reviewReason ?? '' },
      });
      return doctor;
    });
  }

  @FieldResolver(() => UserRef)
  user(@Root() doctor: Doctor): UserRef {
    return userRef(doctor.userId);
  }

  @FieldResolver(() => String, { description: 'The doctor and admins only.' })
  licenseNumber(@Root() doctor: Doctor, @Ctx() ctx: DoctorSubgraphContext): string {
    if (!canSeePrivateDoctor(doctor, ctx)) throw new ForbiddenError('Only the doctor and admins see the license number');
    return doctor.licenseNumber;
  }

  @FieldResolver(() => [Workplace], { description: 'Active workplaces; the doctor and admins also see inactive ones.' })
  async workplaces(@Root() doctor: Doctor, @Ctx() ctx: DoctorSubgraphContext): Promise<Workplace[]> {
    const all = await workplacesOfDoctor(ctx, doctor.id);
    return canSeePrivateDoctor(doctor, ctx) ? all : all.filter((w) => w.isActive);
  }

  @FieldResolver(() => [Slot], {
    description:
      "Free slots from the working hours in each workplace's time zone, minus taken and past ones (range up to 14 days).",
  })
  async availableSlots(
    @Root() doctor: Doctor,
    @Arg('from', () => Date) from: Date,
    @Arg('to', () => Date) to: Date,
    @Arg('workplaceId', () => ID, { nullable: true }) workplaceId: string | undefined,
    @Ctx() ctx: DoctorSubgraphContext,
  ): Promise<Slot[]> {
    checkRange(from, to);
    const workplaces = (await workplacesOfDoctor(ctx, doctor.id)).filter(
      (w) => w.isActive && (!workplaceId || w.id === workplaceId),
    );
    if (workplaces.length === 0) return [];
    const now = new Date();
    const start = from > now ? from : now;
    if (!(start < to)) return [];
    const taken = await takenTimes(ctx, doctor.id, start, to);
    return workplaces
      .flatMap((w) => generateSlots(w, start, to))
      .filter((s) => !taken.some((a) => a.startsAt < s.endsAt && a.endsAt > s.startsAt))
      .sort((a, b) => a.startsAt.getTime() - b.startsAt.getTime());
  }
}

@Resolver(() => UserRef)
export class UserDoctorResolver {
  @FieldResolver(() => Doctor, { nullable: true, description: 'The doctor profile of this user, if visible.' })
  async doctorProfile(@Root() user: UserRef, @Ctx() ctx: DoctorSubgraphContext): Promise<Doctor | null> {
    const doctor = await loader<string, Doctor | null>(ctx, UserDoctorResolver, async (userIds) =>
      byKeys(userIds, await ctx.em.find(Doctor, { userId: { $in: [...userIds] } }), (d) => d.userId),
    ).load(user.id);
    return visibleDoctor(doctor, ctx);
  }
}
