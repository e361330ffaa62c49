import { Arg, Authorized, Ctx, Mutation, Resolver } from 'type-graphql';
import { requireUser } from '@hc/graphql';
import { changePassword, forgotPassword, resetPassword } from './password.service.js';
import type { AuthSubgraphContext } from '../../context.js';

@Resolver()
export class PasswordResolver {
  @Mutation(() => Boolean, {
    description: 'Always true; sends a reset code only when the account exists, to a contact it verified (email, else phone).',
  })
  async forgotPassword(@Arg('email') email: string, @Ctx() ctx: AuthSubgraphContext): Promise<boolean> {
    await forgotPassword(ctx, email);
    return true;
  }

  @Mutation(() => Boolean, { description: 'Sets a new password with the reset code; signs out everywhere.' })
  async resetPassword(
    @Arg('email') email: string,
    @Arg('code') code: string,
    @Arg('newPassword') newPassword: string,
    @Ctx() ctx: AuthSubgraphContext,
  ): Promise<boolean> {
    await resetPassword(ctx, email, code, newPassword);
    return true;
  }

  @Authorized()
  @Mutation(() => Boolean, { description: 'Needs the current password; signs out every session and notifies the user.' })
  async changePassword(
    @Arg('currentPassword') currentPassword: string,
    @Arg('newPassword') newPassword: string,
    @Ctx() ctx: AuthSubgraphContext,
  ): Promise<boolean> {
    const viewer = requireUser(ctx.auth);
    await changePassword(ctx, viewer.id, currentPassword, newPassword);
    return true;
  }
}
