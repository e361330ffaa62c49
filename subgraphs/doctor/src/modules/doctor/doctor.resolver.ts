import { Arg, Ctx, FieldResolver, ID, Int, ObjectType, Query, Resolver, Root } from 'type-graphql';
import { Connection, ForbiddenError, byKeys, loader, pageSize, toConnection } from '@hc/graphql';
import { Doctor, VerificationStatus } from './doctor.entity.js';
import { DoctorFilter } from './doctor.inputs.js';
import { UserRef, userRef } from '../user/user.reference.js';
import type { DoctorSubgraphContext } from '../../context.js';

@ObjectType()
export class DoctorConnection extends Connection(Doctor) {}

const canSeeLicense = (doctor: Doctor, ctx: DoctorSubgraphContext) =>
  ctx.auth.user?.role === 'ADMIN' || ctx.auth.user?.id === doctor.userId;

@Resolver(() => Doctor)
export class DoctorResolver {
  @Query(() => DoctorConnection, { description: 'Public directory: APPROVED doctors only.' })
  async doctors(
    @Ctx() ctx: DoctorSubgraphContext,
    @Arg('filter', () => DoctorFilter, { nullable: true }) filter?: DoctorFilter,
    @Arg('first', () => Int, { defaultValue: 20 }) first?: number,
    @Arg('after', () => String, { nullable: true }) after?: string,
  ): Promise<DoctorConnection> {
    const where: Record<string, unknown> = { verificationStatus: VerificationStatus.APPROVED };
    if (filter?.specialization) where.specialization = { $ilike: filter.specialization };
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
    const doctor = await ctx.em.findOne(Doctor, { id });
    if (!doctor) return null;
    if (doctor.verificationStatus !== VerificationStatus.APPROVED && !canSeeLicense(doctor, ctx)) return null;
    return doctor;
  }

  @FieldResolver(() => UserRef)
  user(@Root() doctor: Doctor): UserRef {
    return userRef(doctor.userId);
  }

  @FieldResolver(() => String, { description: 'The doctor and admins only.' })
  licenseNumber(@Root() doctor: Doctor, @Ctx() ctx: DoctorSubgraphContext): string {
    if (!canSeeLicense(doctor, ctx)) throw new ForbiddenError('Only the doctor and admins see the license number');
    return doctor.licenseNumber;
  }
}

@Resolver(() => UserRef)
export class UserDoctorResolver {
  @FieldResolver(() => Doctor, { nullable: true, description: 'The doctor profile of this user, if visible.' })
  async doctorProfile(@Root() user: UserRef, @Ctx() ctx: DoctorSubgraphContext): Promise<Doctor | null> {
    const doctor = await loader<string, Doctor | null>(ctx, UserDoctorResolver, async (userIds) =>
      byKeys(userIds, await ctx.em.find(Doctor, { userId: { $in: [...userIds] } }), (d) => d.userId),
    ).load(user.id);
    if (!doctor) return null;
    if (doctor.verificationStatus !== VerificationStatus.APPROVED && !canSeeLicense(doctor, ctx)) return null;
    return doctor;
  }
}
