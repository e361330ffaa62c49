import { Entity, Enum, Property } from '@mikro-orm/decorators/legacy';
import { TimestampedEntity } from '@hc/db';
import { Directive, Field, ID, Int, ObjectType, registerEnumType } from 'type-graphql';
import { Address, DecimalScalar } from '@hc/graphql';

export enum WorkplaceType {
  CLINIC = 'CLINIC',
  HOSPITAL = 'HOSPITAL',
  PRIVATE_PRACTICE = 'PRIVATE_PRACTICE',
  ONLINE = 'ONLINE',
  OTHER = 'OTHER',
}
registerEnumType(WorkplaceType, { name: 'WorkplaceType' });

export enum DayOfWeek {
  MONDAY = 'MONDAY',
  TUESDAY = 'TUESDAY',
  WEDNESDAY = 'WEDNESDAY',
  THURSDAY = 'THURSDAY',
  FRIDAY = 'FRIDAY',
  SATURDAY = 'SATURDAY',
  SUNDAY = 'SUNDAY',
}
registerEnumType(DayOfWeek, { name: 'DayOfWeek' });

/** Luxon weekday numbers (1 = Monday). */
export const WEEKDAYS: DayOfWeek[] = [
  DayOfWeek.MONDAY,
  DayOfWeek.TUESDAY,
  DayOfWeek.WEDNESDAY,
  DayOfWeek.THURSDAY,
  DayOfWeek.FRIDAY,
  DayOfWeek.SATURDAY,
  DayOfWeek.SUNDAY,
];

@ObjectType()
export class WorkingHours {
  @Field(() => DayOfWeek) day!: DayOfWeek;
  @Field({ description: '"09:00", local to the workplace\'s timeZone' }) start!: string;
  @Field({ description: '"17:30"' }) end!: string;
}

/** The address as stored in the workplace row (jsonb). */
export type StoredAddress = Omit<Address, 'id'>;

@Entity({ tableName: 'workplaces' })
@ObjectType()
@Directive('@key(fields: "id")')
export class Workplace extends TimestampedEntity {
  @Field(() => ID)
  override id!: string;

  @Property({ type: 'uuid' })
  doctorId!: string;

  @Property({ type: 'string', length: 200 })
  @Field()
  name!: string;

  @Enum({ items: () => WorkplaceType, nativeEnumName: 'workplace_type' })
  @Field(() => WorkplaceType)
  type!: WorkplaceType;

  @Property({ type: 'boolean' })
  @Field()
  isPrimary: boolean = false;

  @Property({ type: 'boolean' })
  @Field()
  isActive: boolean = true;

  @Property({ type: 'string', length: 40, nullable: true })
  @Field(() => String, { nullable: true })
  phoneNumber?: string | null;

  @Property({ type: 'string', length: 320, nullable: true })
  @Field(() => String, { nullable: true })
  email?: string | null;

  @Property({ type: 'text', nullable: true })
  @Field(() => String, { nullable: true })
  description?: string | null;

  @Property({ type: 'string', length: 500, nullable: true })
  @Field(() => String, { nullable: true })
  website?: string | null;

  @Property({ type: 'string', length: 64 })
  @Field({ description: 'IANA, e.g. "Africa/Cairo"' })
  timeZone!: string;

  /** Validated on write (workplace.validation.ts): HH:mm, start < end, no overlap within a day. */
  @Property({ type: 'json' })
  @Field(() => [WorkingHours])
  workingHours: WorkingHours[] = [];

  @Property({ type: 'integer' })
  @Field(() => Int)
  slotDurationMinutes: number = 30;

  @Property({ type: 'decimal', precision: 12, scale: 2, nullable: true })
  @Field(() => DecimalScalar, { nullable: true })
  consultationFee?: string | null;

  @Property({ type: 'string', length: 3, nullable: true })
  @Field(() => String, { nullable: true })
  currency?: string | null;

  @Property({ type: 'text[]' })
  @Field(() => [String])
  servicesOffered: string[] = [];

  @Property({ type: 'text[]' })
  @Field(() => [String])
  insuranceAccepted: string[] = [];

  @Property({ type: 'json', nullable: true, fieldName: 'address' })
  storedAddress?: StoredAddress | null;

  /** Copied from the address for the directory's city filter. */
  @Property({ type: 'string', length: 100, nullable: true })
  city?: string | null;
}
