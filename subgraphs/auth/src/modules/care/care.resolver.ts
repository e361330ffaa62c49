import { Arg, Authorized, Ctx, FieldResolver, ID, Mutation, Query, Resolver, Root } from 'type-graphql';
import { NotFoundError, requireUser } from '@hc/graphql';
import { CareAccess, CareAccessStatus, effectiveCareStatus } from './care-access.entity.js';
import { myCareTeam, respondToCareAccess, revokeCareAccess } from './care.service.js';
import { User } from '../user/user.entity.js';
import { load } from '../loaders.js';
import type { AuthSubgraphContext } from '../../context.js';

/** The patient's consent to who may see their health data. */
@Resolver(() => CareAccess)
export class CareAccessResolver {
  @Authorized('PATIENT')
  @Query(() => [CareAccess], { description: 'Patient: who may see my health data now, and pending requests.' })
  myCareTeam(@Ctx() ctx: AuthSubgraphContext): Promise<CareAccess[]> {
    return myCareTeam(ctx.em, requireUser(ctx.auth).id);
  }

  @Authorized('PATIENT')
  @Mutation(() => CareAccess, { description: 'Patient: accept or refuse a PENDING request.' })
  respondToCareAccess(
    @Arg('id', () => ID) id: string,
    @Arg('accept', () => Boolean) accept: boolean,
    @Ctx() ctx: AuthSubgraphContext,
  ): Promise<CareAccess> {
    return respondToCareAccess(ctx.em, requireUser(ctx.auth).id, id, accept);
  }

  @Authorized('PATIENT')
  @Mutation(() => CareAccess, { description: 'Patient: end an access or a request at once.' })
  revokeCareAccess(@Arg('id', () => ID) id: string, @Ctx() ctx: AuthSubgraphContext): Promise<CareAccess> {
    return revokeCareAccess(ctx.em, requireUser(ctx.auth).id, id);
  }

  @FieldResolver(() => CareAccessStatus)
  status(@Root() access: CareAccess): CareAccessStatus {
    return effectiveCareStatus(access);
  }

  @FieldResolver(() => User)
  async patient(@Root() access: CareAccess, @Ctx() ctx: AuthSubgraphContext): Promise<User> {
    const user = await load.user(ctx, access.patientId);
    if (!user) throw new NotFoundError('User');
    return user;
  }

  @FieldResolver(() => User)
  async staff(@Root() access: CareAccess, @Ctx() ctx: AuthSubgraphContext): Promise<User> {
    const user = await load.user(ctx, access.staffUserId);
    if (!user) throw new NotFoundError('User');
    return user;
  }
}
