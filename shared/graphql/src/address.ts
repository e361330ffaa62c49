import type { Address, AddressInput } from './common-types.js';

/** An address as a subgraph stores it (row columns or a jsonb copy); the id is the storer's business. */
export type AddressColumns = Omit<Address, 'id'>;

/**
 * Maps the public `AddressInput` to the stored address fields, the same way in every subgraph:
 * street, city and country trimmed, absent optional parts stored as null, `isDefault` false unless asked for.
 * `null`/`undefined` in gives `null` out, for optional address arguments.
 */
export function toAddressColumns(input: AddressInput): AddressColumns;
export function toAddressColumns(input: AddressInput | null | undefined): AddressColumns | null;
export function toAddressColumns(input: AddressInput | null | undefined): AddressColumns | null {
  if (!input) return null;
  return {
    type: input.type,
    street: input.street.trim(),
    city: input.city.trim(),
    state: input.state ?? null,
    postalCode: input.postalCode ?? null,
    country: input.country.trim(),
    isDefault: input.isDefault ?? false,
  };
}
