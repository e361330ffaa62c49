import { describe, expect, it } from '@jest/globals';
import { AddressType, toAddressColumns, type AddressInput } from './index.js';

describe('toAddressColumns', () => {
  it('trims the free-text parts, nulls absent optional parts and defaults isDefault to false', () => {
    const input: AddressInput = { type: AddressType.HOME, street: '  1 Nile St ', city: ' Cairo', country: 'EG  ' };
    expect(toAddressColumns(input)).toEqual({
      type: AddressType.HOME,
      street: '1 Nile St',
      city: 'Cairo',
      state: null,
      postalCode: null,
      country: 'EG',
      isDefault: false,
    });
  });

  it('keeps given optional parts and isDefault', () => {
    const input: AddressInput = {
      type: AddressType.CLINIC,
      street: 'a',
      city: 'b',
      state: 'Giza',
      postalCode: '12511',
      country: 'EG',
      isDefault: true,
    };
    expect(toAddressColumns(input)).toMatchObject({ state: 'Giza', postalCode: '12511', isDefault: true });
  });

  it('maps an absent optional address to null', () => {
    expect(toAddressColumns(null)).toBeNull();
    expect(toAddressColumns(undefined)).toBeNull();
  });
});
