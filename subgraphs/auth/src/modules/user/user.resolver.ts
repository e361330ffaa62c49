import { Arg, Authorized, Ctx, FieldResolver, ID, Query, Resolver, Root } from 'type-graphql';
import { ForbiddenError, NotFoundError, DateScalar } from '@hc/graphql';
import type { AuthUser } from '@hc/auth';
import { User } from './user.entity.js';
import type { AuthSubgraphContext } from '../../context.js';

/** Self or admin: who may read a user's contact and personal fields. */
export function canSeePersonal(viewer: AuthUser | null, user: User): boolean {
  return !!viewer && (viewer.id === user.id || viewer.role === 'ADMIN');
}

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
    const viewer = ctx.auth.user!;
    if (viewer.role !== 'ADMIN' && viewer.id !== id) throw new NotFoundError('User');
    return ctx.em.findOne(User, { id });
  }

  @FieldResolver(() => String, { description: 'Visible to the user, admins, and staff with a care relationship.' })
  email(@Root() user: User, @Ctx() ctx: AuthSubgraphContext): string {
    if (!canSeePersonal(ctx.auth.user, user)) throw new ForbiddenError('Not allowed to see this email');
    return user.email;
  }

  @FieldResolver(() => String, { nullable: true })
  phone(@Root() user: User, @Ctx() ctx: AuthSubgraphContext): string | null {
    return canSeePersonal(ctx.auth.user, user) ? (user.phone ?? null) : null;
  }

  @FieldResolver(() => DateScalar, { nullable: true })
  dateOfBirth(@Root() user: User, @Ctx() ctx: AuthSubgraphContext): string | null {
    return canSeePersonal(ctx.auth.user, user) ? (user.dateOfBirth ?? null) : null;
  }

  @FieldResolver(() => String, { nullable: true })
  gender(@Root() user: User, @Ctx() ctx: AuthSubgraphContext): string | null {
    return canSeePersonal(ctx.auth.user, user) ? (user.gender ?? null) : null;
  }
}
