import { Entity, Enum, Property } from '@mikro-orm/decorators/legacy';
import { TimestampedEntity } from '@hc/db';
import { Directive, Field, ID, ObjectType, registerEnumType } from 'type-graphql';
import { Audited } from '@hc/audit';

export enum AppointmentStatus {
  PENDING = 'PENDING',
  CONFIRMED = 'CONFIRMED',
  CANCELLED = 'CANCELLED',
  COMPLETED = 'COMPLETED',
  NO_SHOW = 'NO_SHOW',
}
registerEnumType(AppointmentStatus, { name: 'AppointmentStatus' });

/**
 * Statuses whose rows no longer occupy their time: the exclusion constraints leave them out (see
 * the init and no_show_frees_time migrations), and so does every "is this time taken" query.
 */
export const FREED_STATUSES = [AppointmentStatus.CANCELLED, AppointmentStatus.NO_SHOW];
/** FREED_STATUSES as a SQL list, for raw queries. */
export const FREED_STATUSES_SQL = `('CANCELLED', 'NO_SHOW')`;

export enum AppointmentEventType {
  BOOKED = 'BOOKED',
  CONFIRMED = 'CONFIRMED',
  CANCELLED = 'CANCELLED',
  RESCHEDULED = 'RESCHEDULED',
  COMPLETED = 'COMPLETED',
  NO_SHOW = 'NO_SHOW',
}
registerEnumType(AppointmentEventType, { name: 'AppointmentEventType' });

/**
 * Double booking is prevented by two exclusion constraints (doctor, patient) over the time
 * range of rows not in FREED_STATUSES (CANCELLED, NO_SHOW); the application check before the
 * insert only gives the friendly message.
 */
@Entity({ tableName: 'appointments' })
@ObjectType()
@Directive('@key(fields: "id")')
export class Appointment extends TimestampedEntity {
  @Field(() => ID)
  override id!: string;

  @Property({ type: 'uuid' })
  patientId!: string;

  @Property({ type: 'uuid' })
  doctorId!: string;

  /** The doctor's auth user id, kept on the row so permission checks need no join. */
  @Property({ type: 'uuid' })
  doctorUserId!: string;

  @Property({ type: 'uuid' })
  workplaceId!: string;

  @Property({ type: 'timestamptz' })
  @Field()
  startsAt!: Date;

  @Property({ type: 'timestamptz' })
  @Field()
  endsAt!: Date;

  @Enum({ items: () => AppointmentStatus, nativeEnumName: 'appointment_status' })
  @Field(() => AppointmentStatus)
  status: AppointmentStatus = AppointmentStatus.PENDING;

  @Property({ type: 'text', nullable: true })
  @Field(() => String, { nullable: true })
  @Audited('Appointment', (a: Appointment) => ({ resourceId: a.id, patientId: a.patientId }))
  notes?: string | null;

  @Property({ type: 'text', nullable: true })
  @Field(() => String, { nullable: true })
  cancellationReason?: string | null;

  /** User id of whoever booked (the patient, or a doctor/assistant for them); null on rows from before it was kept. */
  @Property({ type: 'uuid', nullable: true })
  bookedBy?: string | null;

  /** User id of whoever cancelled. */
  @Property({ type: 'uuid', nullable: true })
  cancelledBy?: string | null;

  /** Bumped on every change; part of notification idempotency keys and the optimistic check. */
  @Property({ type: 'integer' })
  version: number = 1;

  /** The version whose reminder is scheduled (its idempotency key), null when none. */
  @Property({ type: 'integer', nullable: true })
  reminderVersion?: number | null;

  @Field()
  override createdAt!: Date;

  @Field()
  override updatedAt!: Date;
}

@ObjectType()
export class AppointmentEvent {
  @Field(() => AppointmentEventType) type!: AppointmentEventType;
  @Field(() => Appointment, { description: 'Any field, including ones other subgraphs own (patient { name })' })
  appointment!: Appointment;
  @Field() occurredAt!: Date;
}
