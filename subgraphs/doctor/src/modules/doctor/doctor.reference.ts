import { Ctx, FieldResolver, Resolver, Root } from 'type-graphql';
import { Doctor } from './doctor.entity.js';
import { doctorProfileOf, findVisibleDoctor } from './doctor.service.js';
import { UserRef } from '../user/user.reference.js';
import type { DoctorSubgraphContext } from '../../context.js';

/** Federation: Doctor by key, batched, with the same visibility as doctor(id). */
export const doctorReference = {
  Doctor: {
    __resolveReference: (ref: { id: string }, ctx: DoctorSubgraphContext) => findVisibleDoctor(ctx, ref.id),
  },
};

/** Federation: the doctor profile on auth's User. */
@Resolver(() => UserRef)
export class UserDoctorResolver {
  @FieldResolver(() => Doctor, { nullable: true, description: 'The doctor profile of this user, if visible.' })
  async doctorProfile(@Root() user: UserRef, @Ctx() ctx: DoctorSubgraphContext): Promise<Doctor | null> {
    return doctorProfileOf(ctx, user.id);
  }
}
