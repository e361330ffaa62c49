import { Arg, Authorized, Ctx, Int, Query, Resolver } from 'type-graphql';
import { DoctorConnection } from './doctor.types.js';
import { pendingDoctors } from './doctor-review.service.js';
import type { DoctorSubgraphContext } from '../../context.js';

@Resolver()
export class DoctorReviewResolver {
  @Query(() => DoctorConnection, { description: 'Admin: PENDING doctor profiles, oldest first.' })
  @Authorized('ADMIN')
  pendingDoctors(
    @Ctx() ctx: DoctorSubgraphContext,
    @Arg('first', () => Int, { nullable: true, defaultValue: 20 }) first?: number,
    @Arg('after', () => String, { nullable: true }) after?: string,
  ) {
    return pendingDoctors(ctx, first, after);
  }
}
