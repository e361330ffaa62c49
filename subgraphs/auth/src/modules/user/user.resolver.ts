import { Arg, Authorized, Ctx, FieldResolver, ID, Int, Mutation, ObjectType, Query, Resolver, Root } from 'type-graphql';
import {
  Address,
  Connection,
  DateScalar,
  ForbiddenError,
  NotFoundError,
  groupByKeys,
  loader,
  pageSize,
  requireUser,
  toConnection,
} from '@hc/graphql';
import { Role, User } from './user.entity.js';
import { UpdateProfileInput } from './user.inputs.js';
import { UserAddress } from '../address/address.entity.js';
import { PatientProfile } from '../profile/patient-profile.entity.js';
import { canSeeCareData } from '../care/care.access.js';
import { toE164 } from '../account/contact.js';
import { publishUserChanged } from '../events/user-events.js';
import type { AuthSubgraphContext } from '../../context.js';

@ObjectType()
export class UserConnection extends Connection(User) {}

/** The user themself (signed in, or who just proved identity in this request). */
export const isSelf = (ctx: AuthSubgraphContext, userId: string): boolean =>
  ctx.auth.user?.id === userId || ctx.provenUserIds.has(userId);

/** Self or admin: who may read a user's contact and personal fields. */
export const canSeePersonal = (ctx: AuthSubgraphContext, userId: string): boolean =>
  isSelf(ctx, userId) || ctx.auth.user?.role === 'ADMIN';

@Resolver(() => User)
export class UserResolver {
  @Query(() => User, { nullable: true, description: 'The signed-in user; null when anonymous.' })
  async me(@Ctx() ctx: AuthSubgraphContext): Promise<User | null> {
    if (!ctx.auth.user) return null;
    return ctx.em.findOne(User, { id: ctx.auth.user.id });
  }

  @Authorized()
  @Query(() => User, { nullable: true, description: 'Admin, or the user themself.' })
  async user(@Arg('id', () => ID) id: string, @Ctx() ctx: AuthSubgraphContext): Promise<User | null> {
    if (!canSeePersonal(ctx, id)) throw new NotFoundError('User');
    const user = await ctx.em.findOne(User, { id });
    if (!user) throw new NotFoundError('User');
    return user;
  }

  @Authorized('ADMIN')
  @Query(() => UserConnection, { description: 'Admin: all users, newest last.' })
  async users(
    @Ctx() ctx: AuthSubgraphContext,
    @Arg('role', () => Role, { nullable: true }) role?: Role | null,
    @Arg('first', () => Int, { nullable: true, defaultValue: 20 }) first?: number,
    @Arg('after', () => String, { nullable: true }) after?: string | null,
  ): Promise<UserConnection> {
    const cursor = await ctx.em.findByCursor(User, {
      where: role ? { role } : {},
      first: pageSize(first),
      after: after ?? undefined,
      orderBy: { createdAt: 'asc', id: 'asc' },
    });
    return toConnection(cursor);
  }

  @Authorized()
  @Mutation(() => User)
  async updateProfile(
    @Arg('input', () => UpdateProfileInput) input: UpdateProfileInput,
    @Ctx() ctx: AuthSubgraphContext,
  ): Promise<User> {
    const viewer = requireUser(ctx.auth);
    const user = await ctx.em.findOne(User, { id: viewer.id });
    if (!user) throw new NotFoundError('User');
    if (input.name != null) user.name = input.name.trim();
    if (input.phone !== undefined) user.phone = input.phone ? toE164(input.phone) : null;
    if (input.profilePictureUrl !== undefined) user.profilePictureUrl = input.profilePictureUrl;
    if (input.dateOfBirth !== undefined) user.dateOfBirth = input.dateOfBirth;
    if (input.gender !== undefined) user.gender = input.gender;
    user.updatedAt = new Date();
    publishUserChanged(ctx.em, user);
    await ctx.em.flush();
    return user;
  }

  @FieldResolver(() => String, { description: 'Visible to the user, admins, and staff with a care relationship.' })
  async email(@Root() user: User, @Ctx() ctx: AuthSubgraphContext): Promise<string> {
    if (!(await canSeeCareData(ctx, user.id))) throw new ForbiddenError('Not allowed to see this email');
    return user.email;
  }

  @FieldResolver(() => String, { nullable: true })
  phone(@Root() user: User, @Ctx() ctx: AuthSubgraphContext): string | null {
    return canSeePersonal(ctx, user.id) ? (user.phone ?? null) : null;
  }

  @FieldResolver(() => DateScalar, { nullable: true })
  dateOfBirth(@Root() user: User, @Ctx() ctx: AuthSubgraphContext): string | null {
    return canSeePersonal(ctx, user.id) ? (user.dateOfBirth ?? null) : null;
  }

  @FieldResolver(() => String, { nullable: true })
  gender(@Root() user: User, @Ctx() ctx: AuthSubgraphContext): string | null {
    return canSeePersonal(ctx, user.id) ? (user.gender ?? null) : null;
  }

  @FieldResolver(() => [Address], { description: 'The user and admins only.' })
  async addresses(@Root() user: User, @Ctx() ctx: AuthSubgraphContext): Promise<UserAddress[]> {
    if (!canSeePersonal(ctx, user.id)) throw new ForbiddenError('Not allowed to see these addresses');
    return loader<string, UserAddress[]>(ctx, UserAddress, async (userIds) =>
      groupByKeys(
        userIds,
        await ctx.em.find(UserAddress, { userId: { $in: [...userIds] } }, { orderBy: { createdAt: 'asc', id: 'asc' } }),
        (a) => a.userId,
      ),
    ).load(user.id);
  }

  @FieldResolver(() => PatientProfile, {
    nullable: true,
    description: 'Health data: the patient, admins, and doctors/assistants who have an appointment with them.',
  })
  async patientProfile(@Root() user: User, @Ctx() ctx: AuthSubgraphContext): Promise<PatientProfile | null> {
    if (!(await canSeeCareData(ctx, user.id))) throw new ForbiddenError('Not allowed to see this health profile');
    return loader<string, PatientProfile | null>(ctx, PatientProfile, async (userIds) => {
      const rows = await ctx.em.find(PatientProfile, { userId: { $in: [...userIds] } });
      const map = new Map(rows.map((r) => [r.userId, r]));
      return userIds.map((id) => map.get(id) ?? null);
    }).load(user.id);
  }
}
