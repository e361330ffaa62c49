import { Entity, Property } from '@mikro-orm/decorators/legacy';
import { TimestampedEntity } from '@hc/db';
import { Directive, Field, ID, ObjectType } from 'type-graphql';
import { Connection } from '@hc/graphql';

@ObjectType()
export class MedicineInfo {
  @Field(() => String, { nullable: true }) dosage?: string | null;
  @Field(() => String, { nullable: true }) form?: string | null;
  @Field() prescriptionRequired!: boolean;
  @Field(() => String, { nullable: true }) sideEffects?: string | null;
}

/**
 * A catalogue product shared by every pharmacy (stock and price are per branch). Medicine
 * details are columns of the same row: `isMedicine` says whether `medicine` is non-null.
 */
@Entity({ tableName: 'items' })
@ObjectType()
@Directive('@key(fields: "id")')
export class Item extends TimestampedEntity {
  @Field(() => ID)
  override id!: string;

  @Property({ type: 'uuid', nullable: true })
  categoryId?: string | null;

  @Property({ type: 'string', length: 200 })
  @Field()
  name!: string;

  @Property({ type: 'string', length: 200, nullable: true })
  @Field(() => String, { nullable: true })
  manufacturer?: string | null;

  @Property({ type: 'text', nullable: true })
  @Field(() => String, { nullable: true })
  description?: string | null;

  @Property({ type: 'text', nullable: true })
  @Field(() => String, { nullable: true })
  imageUrl?: string | null;

  @Property({ type: 'boolean', default: false })
  isMedicine: boolean = false;

  @Property({ type: 'string', length: 100, nullable: true })
  dosage?: string | null;

  @Property({ type: 'string', length: 100, nullable: true })
  form?: string | null;

  @Property({ type: 'boolean', default: false })
  prescriptionRequired: boolean = false;

  @Property({ type: 'text', nullable: true })
  sideEffects?: string | null;

  /** Who may update it (with admins). */
  @Property({ type: 'uuid' })
  createdBy!: string;
}

@ObjectType()
export class ItemConnection extends Connection(Item) {}
