import { Arg, Authorized, Ctx, ID, Mutation, Resolver } from 'type-graphql';
import type { EntityManager } from '@mikro-orm/postgresql';
import { Address, AddressInput, ConflictError, NotFoundError, requireUser } from '@hc/graphql';
import { UserAddress } from './address.entity.js';
import type { AuthSubgraphContext } from '../../context.js';

const MAX_ADDRESSES = 20;

function apply(address: UserAddress, input: AddressInput) {
  address.type = input.type;
  address.street = input.street.trim();
  address.city = input.city.trim();
  address.state = input.state ?? null;
  address.postalCode = input.postalCode ?? null;
  address.country = input.country.trim();
}

/** One default per user (also a partial unique index): clear the old one before setting a new one. */
async function clearDefault(tx: EntityManager, userId: string, keepId: string) {
  await tx.nativeUpdate(UserAddress, { userId, isDefault: true, id: { $ne: keepId } }, { isDefault: false });
}

/** Address book of the signed-in user; another user's address id answers NOT_FOUND. */
@Resolver()
export class AddressResolver {
  @Authorized()
  @Mutation(() => Address)
  async addAddress(@Arg('input', () => AddressInput) input: AddressInput, @Ctx() ctx: AuthSubgraphContext): Promise<UserAddress> {
    const viewer = requireUser(ctx.auth);
    return ctx.em.transactional(async (tx) => {
      const count = await tx.count(UserAddress, { userId: viewer.id });
      if (count >= MAX_ADDRESSES) throw new ConflictError(`At most ${MAX_ADDRESSES} addresses`, 'LIMIT_REACHED');
      const address = new UserAddress();
      address.userId = viewer.id;
      apply(address, input);
      // The first address becomes the default.
      address.isDefault = input.isDefault ?? count === 0;
      if (address.isDefault) await clearDefault(tx, viewer.id, address.id);
      tx.persist(address);
      return address;
    });
  }

  @Authorized()
  @Mutation(() => Address)
  async updateAddress(
    @Arg('id', () => ID) id: string,
    @Arg('input', () => AddressInput) input: AddressInput,
    @Ctx() ctx: AuthSubgraphContext,
  ): Promise<UserAddress> {
    const viewer = requireUser(ctx.auth);
    return ctx.em.transactional(async (tx) => {
      const address = await tx.findOne(UserAddress, { id, userId: viewer.id });
      if (!address) throw new NotFoundError('Address');
      apply(address, input);
      if (input.isDefault != null) {
        if (input.isDefault) await clearDefault(tx, viewer.id, address.id);
        address.isDefault = input.isDefault;
      }
      return address;
    });
  }

  @Authorized()
  @Mutation(() => Boolean)
  async removeAddress(@Arg('id', () => ID) id: string, @Ctx() ctx: AuthSubgraphContext): Promise<boolean> {
    const viewer = requireUser(ctx.auth);
    const removed = await ctx.em.nativeDelete(UserAddress, { id, userId: viewer.id });
    if (removed === 0) throw new NotFoundError('Address');
    return true;
  }
}
