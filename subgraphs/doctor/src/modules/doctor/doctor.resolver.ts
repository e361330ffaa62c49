import { Arg, Authorized, Ctx, FieldResolver, ID, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import { Doctor, VerificationStatus } from './doctor.entity.js';
import { DoctorFilter, DoctorProfileInput } from './doctor.inputs.js';
import * as doctors from './doctor.service.js';
import { UserRef, userRef } from '../user/user.reference.js';
import { Workplace } from '../workplace/workplace.entity.js';
import { Slot } from '../availability/slots.js';
import { availableSlots } from '../availability/availability.service.js';
import type { DoctorSubgraphContext } from '../../context.js';
import { DoctorConnection } from './doctor.types.js';

@Resolver(() => Doctor)
export class DoctorResolver {
  @Query(() => DoctorConnection, { description: 'Public directory: APPROVED doctors only.' })
  async doctors(
    @Ctx() ctx: DoctorSubgraphContext,
    @Arg('filter', () => DoctorFilter, { nullable: true }) filter?: DoctorFilter,
    @Arg('first', () => Int, { nullable: true, defaultValue: 20 }) first?: number,
    @Arg('after', () => String, { nullable: true }) after?: string,
  ): Promise<DoctorConnection> {
    return doctors.listDoctors(ctx, filter, first, after);
  }

  @Query(() => Doctor, {
    nullable: true,
    description: 'An approved doctor; the doctor themself and admins also see other states.',
  })
  async doctor(@Arg('id', () => ID) id: string, @Ctx() ctx: DoctorSubgraphContext): Promise<Doctor | null> {
    return doctors.findVisibleDoctor(ctx, id);
  }

  @Authorized('DOCTOR')
  @Mutation(() => Doctor, { description: "Creates or updates the caller's doctor profile (PENDING until reviewed)." })
  async upsertDoctorProfile(
    @Arg('input', () => DoctorProfileInput) input: DoctorProfileInput,
    @Ctx() ctx: DoctorSubgraphContext,
  ): Promise<Doctor> {
    return doctors.upsertDoctorProfile(ctx, input);
  }

  @Authorized('ADMIN')
  @Mutation(() => Doctor, { description: 'Admin: approve or reject a doctor profile; the doctor is notified.' })
  async reviewDoctor(
    @Arg('doctorId', () => ID) doctorId: string,
    @Arg('status', () => VerificationStatus) status: VerificationStatus,
    @Arg('reason', () => String, { nullable: true }) reason: string | undefined,
    @Ctx() ctx: DoctorSubgraphContext,
  ): Promise<Doctor> {
    return doctors.reviewDoctor(ctx, doctorId, status, reason);
  }

  @FieldResolver(() => UserRef)
  user(@Root() doctor: Doctor): UserRef {
    return userRef(doctor.userId);
  }

  @FieldResolver(() => String, { description: 'The doctor and admins only.' })
  licenseNumber(@Root() doctor: Doctor, @Ctx() ctx: DoctorSubgraphContext): string {
    return doctors.licenseNumberOf(ctx, doctor);
  }

  @FieldResolver(() => String, {
    nullable: true,
    description: 'Why the last review rejected the profile (the doctor and admins; null for everyone else).',
  })
  reviewReason(@Root() doctor: Doctor, @Ctx() ctx: DoctorSubgraphContext): string | null {
    return doctors.reviewReasonOf(ctx, doctor);
  }

  @FieldResolver(() => [Workplace], { description: 'Active workplaces; the doctor and admins also see inactive ones.' })
  async workplaces(@Root() doctor: Doctor, @Ctx() ctx: DoctorSubgraphContext): Promise<Workplace[]> {
    return doctors.workplacesOf(ctx, doctor);
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
    return availableSlots(ctx, doctor, { from, to, workplaceId });
  }
}
