import { Entity, Enum, Property } from '@mikro-orm/decorators/legacy';
import { TimestampedEntity, UuidEntity } from '@hc/db';
import { Directive, Field, ID, Int, ObjectType, registerEnumType } from 'type-graphql';
import { Connection, DecimalScalar } from '@hc/graphql';

export enum OrderStatus {
  PENDING = 'PENDING',
  CONFIRMED = 'CONFIRMED',
  PREPARING = 'PREPARING',
  OUT_FOR_DELIVERY = 'OUT_FOR_DELIVERY',
  DELIVERED = 'DELIVERED',
  CANCELLED = 'CANCELLED',
}
registerEnumType(OrderStatus, { name: 'OrderStatus' });

export enum DeliveryStatus {
  SCHEDULED = 'SCHEDULED',
  IN_TRANSIT = 'IN_TRANSIT',
  DELIVERED = 'DELIVERED',
  FAILED = 'FAILED',
}
registerEnumType(DeliveryStatus, { name: 'DeliveryStatus' });

/** The delivery address as copied onto the order at placement (later address edits do not move it). */
export interface AddressCopy {
  id: string;
  type: string;
  street: string;
  city: string;
  state?: string | null;
  postalCode?: string | null;
  country: string;
  isDefault: boolean;
}

@Entity({ tableName: 'orders' })
@ObjectType()
@Directive('@key(fields: "id")')
export class Order extends UuidEntity {
  @Field(() => ID)
  override id!: string;

  @Property({ type: 'uuid' })
  patientId!: string;

  @Property({ type: 'uuid' })
  pharmacyId!: string;

  @Property({ type: 'uuid' })
  branchId!: string;

  /** Computed by the database from the stock prices at placement (numeric, never a JS float). */
  @Property({ type: 'decimal', precision: 12, scale: 2 })
  @Field(() => DecimalScalar)
  totalAmount!: string;

  @Enum({ items: () => OrderStatus, columnType: 'varchar(20)' })
  @Field(() => OrderStatus)
  status: OrderStatus = OrderStatus.PENDING;

  @Property({ type: 'uuid', nullable: true })
  @Field(() => ID, { nullable: true, description: 'Prescription presented for prescription-only items.' })
  prescriptionId?: string | null;

  @Property({ type: 'json', nullable: true })
  deliveryAddress?: AddressCopy | null;

  @Property({ type: 'timestamptz' })
  @Field()
  orderDate: Date = new Date();

  @Property({ type: 'timestamptz', onUpdate: () => new Date() })
  updatedAt: Date = new Date();
}

@ObjectType()
export class OrderConnection extends Connection(Order) {}

/** One line of an order or a reservation, with the unit price fixed when it was placed. */
@ObjectType()
export class OrderItem {
  itemId!: string;
  @Field(() => Int) quantity!: number;
  @Field(() => DecimalScalar) unitPrice!: string;
}

@Entity({ tableName: 'deliveries' })
@ObjectType()
export class Delivery extends TimestampedEntity {
  @Field(() => ID)
  override id!: string;

  @Property({ type: 'uuid', unique: true })
  orderId!: string;

  @Property({ type: 'json', nullable: true })
  address?: AddressCopy | null;

  @Property({ type: 'timestamptz', nullable: true })
  @Field(() => Date, { nullable: true })
  scheduledFor?: Date | null;

  @Enum({ items: () => DeliveryStatus, columnType: 'varchar(20)' })
  @Field(() => DeliveryStatus)
  status: DeliveryStatus = DeliveryStatus.SCHEDULED;

  @Property({ type: 'string', length: 40, unique: true })
  @Field(() => String, { nullable: true })
  trackingNumber!: string;

  /** Why the last attempt failed (set while FAILED; kept after a retry until the next failure). */
  @Property({ type: 'text', nullable: true })
  @Field(() => String, { nullable: true, description: 'Why the last attempt failed (FAILED deliveries always say why).' })
  failureReason?: string | null;

  @Property({ type: 'integer', default: 1 })
  @Field(() => Int, { description: 'Delivery attempts so far (1, plus one per retry).' })
  attempts: number = 1;
}
