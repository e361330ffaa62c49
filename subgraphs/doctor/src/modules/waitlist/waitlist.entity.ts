import { randomUUID } from 'node:crypto';
import { Entity, Enum, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';
import { Field, ID, ObjectType, registerEnumType } from 'type-graphql';

export enum WaitlistStatus {
  WAITING = 'WAITING',
  OFFERED = 'OFFERED',
  BOOKED = 'BOOKED',
  EXPIRED = 'EXPIRED',
  CANCELLED = 'CANCELLED',
}
registerEnumType(WaitlistStatus, { name: 'WaitlistStatus' });

/**
 * The appointments row status of a slot hold (database label only, never in the API's
 * AppointmentStatus): the row takes part in the exclusion constraints, so nobody else can book
 * the time, and every appointment query leaves it out.
 */
export const HELD = 'HELD';

/**
 * A patient waiting for any slot of one workplace inside [from, to). While OFFERED, `holdId`
 * is the HELD appointments row that keeps the slot for this patient until `offerExpiresAt`;
 * once BOOKED it is the booked appointment.
 */
@Entity({ tableName: 'waitlist_entries' })
@ObjectType()
export class WaitlistEntry {
  @PrimaryKey({ type: 'uuid' })
  @Field(() => ID)
  id: string = randomUUID();

  @Property({ type: 'uuid' })
  patientId!: string;

  @Property({ type: 'uuid' })
  doctorId!: string;

  @Property({ type: 'uuid' })
  workplaceId!: string;

  @Property({ type: 'timestamptz', fieldName: 'from_at' })
  @Field({ description: 'The window the patient would take any slot in.' })
  from!: Date;

  @Property({ type: 'timestamptz', fieldName: 'to_at' })
  @Field()
  to!: Date;

  /** As stored; the API's `status` reads an offer past its expiry as EXPIRED (waitlist.resolver.ts). */
  @Enum({ items: () => WaitlistStatus, nativeEnumName: 'waitlist_status', fieldName: 'status' })
  storedStatus: WaitlistStatus = WaitlistStatus.WAITING;

  @Property({ type: 'uuid', nullable: true })
  holdId?: string | null;

  @Property({ type: 'timestamptz', nullable: true })
  offeredStartsAt?: Date | null;

  @Property({ type: 'timestamptz', nullable: true })
  offeredEndsAt?: Date | null;

  @Property({ type: 'timestamptz', nullable: true })
  offerExpiresAt?: Date | null;

  @Property({ type: 'timestamptz' })
  @Field()
  createdAt: Date = new Date();

  @Property({ type: 'timestamptz' })
  updatedAt: Date = new Date();
}

/** What the entry is now: an offer whose time passed is EXPIRED even before the expiry job ran. */
export function effectiveStatus(e: WaitlistEntry, now = Date.now()): WaitlistStatus {
  if (e.storedStatus === WaitlistStatus.OFFERED && e.offerExpiresAt && e.offerExpiresAt.getTime() <= now)
    return WaitlistStatus.EXPIRED;
  if (e.storedStatus === WaitlistStatus.WAITING && e.to.getTime() <= now) return WaitlistStatus.EXPIRED;
  return e.storedStatus;
}
