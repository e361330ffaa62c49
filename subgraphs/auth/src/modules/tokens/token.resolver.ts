import { Arg, Ctx, Mutation, Resolver } from 'type-graphql';
import { UnauthenticatedError } from '@hc/graphql';
import { User } from '../user/user.entity.js';
import { AuthPayload } from '../account/account.inputs.js';
import type { AuthSubgraphContext } from '../../context.js';

@Resolver()
export class TokenResolver {
  @Mutation(() => AuthPayload, { description: 'Rotates the refresh token; a reused one revokes its whole family.' })
  async refreshToken(@Arg('refreshToken') refreshToken: string, @Ctx() ctx: AuthSubgraphContext): Promise<AuthPayload> {
    const { userId, refreshToken: next } = await ctx.services.tokens.rotate(ctx.em, refreshToken, ctx.logger);
    const user = await ctx.em.findOne(User, { id: userId });
    if (!user) throw new UnauthenticatedError('Invalid or expired refresh token');
    ctx.provenUserIds.add(user.id);
    return {
      accessToken: ctx.services.tokens.signAccessToken(user),
      refreshToken: next,
      expiresIn: ctx.services.tokens.settings.accessTtlSeconds,
      user,
    };
  }

  @Mutation(() => Boolean, { description: 'Ends the session of this refresh token. Always true.' })
  async logout(@Arg('refreshToken') refreshToken: string, @Ctx() ctx: AuthSubgraphContext): Promise<boolean> {
    await ctx.services.tokens.revokeByToken(ctx.em, refreshToken);
    return true;
  }
}
