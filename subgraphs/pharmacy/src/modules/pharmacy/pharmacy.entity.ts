import { Entity, Enum, Property } from '@mikro-orm/decorators/legacy';
import { TimestampedEntity } from '@hc/db';
import { Directive, Field, ID, ObjectType, registerEnumType } from 'type-graphql';

export enum VerificationStatus {
  PENDING = 'PENDING',
  APPROVED = 'APPROVED',
  REJECTED = 'REJECTED',
}
registerEnumType(VerificationStatus, { name: 'VerificationStatus' });

/** A pharmacy business; one per PHARMACY user (its owner). Public information. */
@Entity({ tableName: 'pharmacies' })
@ObjectType()
@Directive('@key(fields: "id")')
export class Pharmacy extends TimestampedEntity {
  @Field(() => ID)
  override id!: string;

  @Property({ type: 'uuid', unique: true })
  ownerId!: string;

  @Property({ type: 'string', length: 200 })
  @Field()
  name!: string;

  @Property({ type: 'string', length: 64, unique: true })
  @Field()
  licenseNumber!: string;

  @Property({ type: 'text' })
  @Field()
  address!: string;

  @Property({ type: 'string', length: 40 })
  @Field()
  phone!: string;

  @Property({ type: 'string', length: 254 })
  @Field()
  email!: string;

  /** Only APPROVED pharmacies are listed, searchable and take orders and reservations. */
  @Enum({ items: () => VerificationStatus, columnType: 'varchar(20)' })
  @Field(() => VerificationStatus, { description: 'Public listings and new orders: APPROVED only.' })
  verificationStatus: VerificationStatus = VerificationStatus.PENDING;

  /** Why an admin rejected it (told to the owner); not public. */
  @Property({ type: 'text', nullable: true })
  reviewReason?: string | null;

  @Property({ type: 'timestamptz', nullable: true })
  reviewedAt?: Date | null;
}
