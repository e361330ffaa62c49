import { Entity, Property } from '@mikro-orm/decorators/legacy';
import { TimestampedEntity } from '@hc/db';
import { Directive, Field, ID, ObjectType } from 'type-graphql';

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
}
