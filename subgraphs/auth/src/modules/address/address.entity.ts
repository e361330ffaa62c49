import { Entity, Enum, Property } from '@mikro-orm/decorators/legacy';
import { CreatedEntity } from '@hc/db';
import { AddressType } from '@hc/graphql';

/** A user's address row; served as the shared `Address` GraphQL type (common-types). */
@Entity({ tableName: 'addresses' })
export class UserAddress extends CreatedEntity {
  @Property({ type: 'uuid' })
  userId!: string;

  @Enum({ items: () => AddressType, nativeEnumName: 'address_type' })
  type!: AddressType;

  @Property({ type: 'string', length: 200 })
  street!: string;

  @Property({ type: 'string', length: 100 })
  city!: string;

  @Property({ type: 'string', length: 100, nullable: true })
  state?: string | null;

  @Property({ type: 'string', length: 20, nullable: true })
  postalCode?: string | null;

  @Property({ type: 'string', length: 100 })
  country!: string;

  @Property({ type: 'boolean', default: false })
  isDefault: boolean = false;
}
