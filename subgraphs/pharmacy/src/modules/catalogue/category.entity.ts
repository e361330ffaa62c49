import { randomUUID } from 'node:crypto';
import { Entity, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';
import { Field, ID, ObjectType } from 'type-graphql';

@Entity({ tableName: 'categories' })
@ObjectType()
export class Category {
  @PrimaryKey({ type: 'uuid' })
  @Field(() => ID)
  id: string = randomUUID();

  @Property({ type: 'string', length: 100, unique: true })
  @Field()
  name!: string;

  @Property({ type: 'text', nullable: true })
  @Field(() => String, { nullable: true })
  description?: string | null;

  @Property({ type: 'boolean', default: true })
  @Field()
  isActive: boolean = true;

  @Property({ type: 'timestamptz' })
  createdAt: Date = new Date();
}
