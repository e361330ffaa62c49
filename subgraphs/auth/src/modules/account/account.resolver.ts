import { Arg, Ctx, Mutation, Resolver } from 'type-graphql';
import { AuthPayload, OtpChannel, RegisterInput, RegisterPayload } from './account.inputs.js';
import { login, register, resendVerification, verifyAccount } from './account.service.js';
import type { AuthSubgraphContext } from '../../context.js';

@Resolver()
export class AccountResolver {
  @Mutation(() => RegisterPayload, {
    description: 'Creates an unverified account and sends an OTP. An existing email gets the same answer (no enumeration).',
  })
  register(@Arg('input', () => RegisterInput) input: RegisterInput, @Ctx() ctx: AuthSubgraphContext): Promise<RegisterPayload> {
    return register(ctx, input);
  }

  @Mutation(() => AuthPayload, {
    description:
      'Verifies the contact the code was sent to and signs in: an unverified account, or (signed in as the account) a further contact such as its email.',
  })
  verifyOtp(@Arg('email') email: string, @Arg('code') code: string, @Ctx() ctx: AuthSubgraphContext): Promise<AuthPayload> {
    return verifyAccount(ctx, email, code);
  }

  @Mutation(() => Boolean, {
    description:
      'Always true; sends a new code to an existing unverified account, or (signed in as the account) to a contact of it not yet verified, e.g. channel EMAIL.',
  })
  async resendOtp(
    @Arg('email') email: string,
    @Ctx() ctx: AuthSubgraphContext,
    @Arg('channel', () => OtpChannel, { nullable: true }) channel?: OtpChannel | null,
  ): Promise<boolean> {
    await resendVerification(ctx, email, channel);
    return true;
  }

  @Mutation(() => AuthPayload, { description: 'Signs in. Unknown email and wrong password answer alike.' })
  login(@Arg('email') email: string, @Arg('password') password: string, @Ctx() ctx: AuthSubgraphContext): Promise<AuthPayload> {
    return login(ctx, email, password);
  }
}
