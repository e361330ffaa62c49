import { randomUUID } from 'node:crypto';
import { Entity, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';
import { Directive, Field, ID, ObjectType } from 'type-graphql';

/** A pharmacy business; one per PHARMACY user (its owner). Public information. */
@Entity({ tableName: 'pharmacies' })
@ObjectType()
@Directive('@key(fields: "id")')
export class Pharmacy {
  @PrimaryKey({ type: 'uuid' })
  @Field(() => ID)
  id: string = randomUUID();

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

  @Property({ type: 'timestamptz' })
  createdAt: Date = new Date();

  @Property({ type: 'timestamptz', onUpdate: () => new Date() })
  updatedAt: Date = new Date();
}
