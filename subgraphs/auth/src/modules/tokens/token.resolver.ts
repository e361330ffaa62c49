import { Arg, Ctx, Mutation, Resolver } from 'type-graphql';
import { AuthPayload } from '../account/account.inputs.js';
import { refreshSession } from './token.service.js';
import type { AuthSubgraphContext } from '../../context.js';

@Resolver()
export class TokenResolver {
  @Mutation(() => AuthPayload, { description: 'Rotates the refresh token; a reused one revokes its whole family.' })
  refreshToken(@Arg('refreshToken') refreshToken: string, @Ctx() ctx: AuthSubgraphContext): Promise<AuthPayload> {
    return refreshSession(ctx, refreshToken);
  }

  @Mutation(() => Boolean, { description: 'Ends the session of this refresh token. Always true.' })
  async logout(@Arg('refreshToken') refreshToken: string, @Ctx() ctx: AuthSubgraphContext): Promise<boolean> {
    await ctx.services.tokens.revokeByToken(ctx.em, refreshToken);
    return true;
  }
}
