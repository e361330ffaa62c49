import { Arg, Authorized, Ctx, ID, Mutation, Resolver } from 'type-graphql';
import { Address, AddressInput, requireUser } from '@hc/graphql';
import { UserAddress } from './address.entity.js';
import { addAddress, removeAddress, updateAddress } from './address.service.js';
import type { AuthSubgraphContext } from '../../context.js';

/** Address book of the signed-in user; another user's address id answers NOT_FOUND. */
@Resolver()
export class AddressResolver {
  @Authorized()
  @Mutation(() => Address)
  addAddress(@Arg('input', () => AddressInput) input: AddressInput, @Ctx() ctx: AuthSubgraphContext): Promise<UserAddress> {
    return addAddress(ctx.em, requireUser(ctx.auth).id, input);
  }

  @Authorized()
  @Mutation(() => Address)
  updateAddress(
    @Arg('id', () => ID) id: string,
    @Arg('input', () => AddressInput) input: AddressInput,
    @Ctx() ctx: AuthSubgraphContext,
  ): Promise<UserAddress> {
    return updateAddress(ctx.em, requireUser(ctx.auth).id, id, input);
  }

  @Authorized()
  @Mutation(() => Boolean)
  async removeAddress(@Arg('id', () => ID) id: string, @Ctx() ctx: AuthSubgraphContext): Promise<boolean> {
    await removeAddress(ctx.em, requireUser(ctx.auth).id, id);
    return true;
  }
}
