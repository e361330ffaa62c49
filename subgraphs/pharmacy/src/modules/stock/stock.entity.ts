import { Entity, Property, Unique } from '@mikro-orm/decorators/legacy';
import { UuidEntity } from '@hc/db';
import { Field, Int, ObjectType } from 'type-graphql';
import { DecimalScalar } from '@hc/graphql';

/**
 * Stock of one item at one branch. `quantity` is on hand (CHECK >= 0 in the database);
 * what can be ordered is quantity minus active, unexpired reservation holds (stock.sql.ts).
 */
@Entity({ tableName: 'stock_entries' })
@Unique({ properties: ['branchId', 'itemId'] })
@ObjectType()
export class StockEntry extends UuidEntity {
  @Property({ type: 'uuid' })
  branchId!: string;

  @Property({ type: 'uuid' })
  itemId!: string;

  @Property({ type: 'integer' })
  @Field(() => Int, { description: 'On hand; minus active reservations is what can be ordered.' })
  quantity!: number;

  /** numeric(12,2), read and written as an exact decimal string. */
  @Property({ type: 'decimal', precision: 12, scale: 2 })
  @Field(() => DecimalScalar)
  price!: string;

  @Property({ type: 'integer', default: 0 })
  @Field(() => Int)
  minStockLevel: number = 0;

  /** Set when the owner was told about the current dip below minStockLevel; cleared once stock is back up. */
  @Property({ type: 'boolean', default: false })
  lowNotified: boolean = false;

  @Property({ type: 'timestamptz', onUpdate: () => new Date() })
  updatedAt: Date = new Date();
}

/** Public view of stock: what a patient can buy where, at what price. */
@ObjectType()
export class Offer {
  itemId!: string;
  branchId!: string;
  @Field(() => DecimalScalar) price!: string;
  @Field(() => Int) available!: number;
}
