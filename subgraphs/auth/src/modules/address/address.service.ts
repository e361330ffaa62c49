import type { EntityManager } from '@mikro-orm/postgresql';
import { ConflictError, NotFoundError, toAddressColumns, type AddressInput } from '@hc/graphql';
import { UserAddress } from './address.entity.js';

export const MAX_ADDRESSES = 20;

/** Copies the input's address fields; whether it is the default is decided by the caller. */
function apply(address: UserAddress, input: AddressInput): void {
  const { isDefault: _ignored, ...columns } = toAddressColumns(input);
  Object.assign(address, columns);
}

/** One default per user (also a partial unique index): clear the old one before setting a new one. */
async function clearDefault(tx: EntityManager, userId: string, keepId: string): Promise<void> {
  await tx.nativeUpdate(UserAddress, { userId, isDefault: true, id: { $ne: keepId } }, { isDefault: false });
}

/** Adds to the user's address book (at most 20); the first address becomes the default. */
export function addAddress(em: EntityManager, userId: string, input: AddressInput): Promise<UserAddress> {
  return em.transactional(async (tx) => {
    const count = await tx.count(UserAddress, { userId });
    if (count >= MAX_ADDRESSES) throw new ConflictError(`At most ${MAX_ADDRESSES} addresses`, 'LIMIT_REACHED');
    const address = new UserAddress();
    address.userId = userId;
    apply(address, input);
    address.isDefault = input.isDefault ?? count === 0;
    if (address.isDefault) await clearDefault(tx, userId, address.id);
    tx.persist(address);
    return address;
  });
}

/** Replaces one of the user's addresses; another user's id answers NOT_FOUND. */
export function updateAddress(em: EntityManager, userId: string, id: string, input: AddressInput): Promise<UserAddress> {
  return em.transactional(async (tx) => {
    const address = await tx.findOne(UserAddress, { id, userId });
    if (!address) throw new NotFoundError('Address');
    apply(address, input);
    if (input.isDefault != null) {
      if (input.isDefault) await clearDefault(tx, userId, address.id);
      address.isDefault = input.isDefault;
    }
    return address;
  });
}

/** Removes one of the user's addresses; another user's id answers NOT_FOUND. */
export async function removeAddress(em: EntityManager, userId: string, id: string): Promise<void> {
  const removed = await em.nativeDelete(UserAddress, { id, userId });
  if (removed === 0) throw new NotFoundError('Address');
}
