import { Entity, Property } from '@mikro-orm/decorators/legacy';
import { CreatedEntity } from '@hc/db';
import { Directive, Field, ID, ObjectType } from 'type-graphql';

@Entity({ tableName: 'pharmacy_branches' })
@ObjectType()
@Directive('@key(fields: "id")')
export class PharmacyBranch extends CreatedEntity {
  @Field(() => ID)
  override id!: string;

  @Property({ type: 'uuid' })
  pharmacyId!: string;

  @Property({ type: 'string', length: 200 })
  @Field()
  name!: string;

  @Property({ type: 'text' })
  @Field()
  address!: string;

  @Property({ type: 'string', length: 100 })
  @Field()
  city!: string;

  @Property({ type: 'string', length: 40, nullable: true })
  @Field(() => String, { nullable: true })
  phone?: string | null;

  @Property({ type: 'string', length: 120, nullable: true })
  @Field(() => String, { nullable: true })
  managerName?: string | null;
}
