import { Entity, Enum, Property } from '@mikro-orm/decorators/legacy';
import { UuidEntity } from '@hc/db';
import { Field, ID, ObjectType, registerEnumType } from 'type-graphql';

export enum ReservationStatus {
  ACTIVE = 'ACTIVE',
  FULFILLED = 'FULFILLED',
  EXPIRED = 'EXPIRED',
  CANCELLED = 'CANCELLED',
}
registerEnumType(ReservationStatus, { name: 'ReservationStatus' });

/**
 * A hold on stock at one branch. It counts against availability while status is ACTIVE and
 * expires_at is in the future (compared with now() in SQL), so it stops counting the moment it
 * lapses even before the delayed job marks it EXPIRED.
 */
@Entity({ tableName: 'reservations' })
@ObjectType()
export class Reservation extends UuidEntity {
  @Field(() => ID)
  override id!: string;

  @Property({ type: 'uuid' })
  patientId!: string;

  @Property({ type: 'uuid' })
  branchId!: string;

  @Property({ type: 'uuid', nullable: true })
  @Field(() => ID, { nullable: true })
  prescriptionId?: string | null;

  @Enum({ items: () => ReservationStatus, columnType: 'varchar(20)' })
  @Field(() => ReservationStatus)
  status: ReservationStatus = ReservationStatus.ACTIVE;

  @Property({ type: 'timestamptz' })
  @Field()
  reservedAt: Date = new Date();

  @Property({ type: 'timestamptz' })
  @Field()
  expiresAt!: Date;

  @Property({ type: 'timestamptz', onUpdate: () => new Date() })
  updatedAt: Date = new Date();
}
