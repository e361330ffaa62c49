import { Entity, Property } from '@mikro-orm/decorators/legacy';
import { CreatedEntity } from '@hc/db';
import { Field, ID, ObjectType } from 'type-graphql';

@Entity({ tableName: 'categories' })
@ObjectType()
export class Category extends CreatedEntity {
  @Field(() => ID)
  override id!: string;

  @Property({ type: 'string', length: 100, unique: true })
  @Field()
  name!: string;

  @Property({ type: 'text', nullable: true })
  @Field(() => String, { nullable: true })
  description?: string | null;

  @Property({ type: 'boolean', default: true })
  @Field()
  isActive: boolean = true;
}
