import { Entity, Enum, PrimaryKey, Property, Unique } from '@mikro-orm/decorators/legacy';
import { Field, ID, ObjectType, registerEnumType } from 'type-graphql';

export enum CareAccessStatus {
  PENDING = 'PENDING',
  ACTIVE = 'ACTIVE',
  REVOKED = 'REVOKED',
  EXPIRED = 'EXPIRED',
}
registerEnumType(CareAccessStatus, { name: 'CareAccessStatus' });

/**
 * Who may see a patient's protected health data (email, health profile), and until when. Fed by
 * the doctor subgraph's care.changed events (the care relationship) and by the patient's own
 * answers (consent). Access is open only while ACTIVE and before `expiresAt`; an ACTIVE row past
 * `expiresAt` reads as EXPIRED (exact on read, whether or not a later event stored it).
 */
@Entity({ tableName: 'care_access' })
@Unique({ properties: ['patientId', 'staffUserId'] })
@ObjectType()
export class CareAccess {
  @PrimaryKey({ type: 'uuid' })
  @Field(() => ID)
  id!: string;

  @Property({ type: 'uuid' })
  patientId!: string;

  /** A doctor's or an assistant's user id. */
  @Property({ type: 'uuid' })
  staffUserId!: string;

  @Enum({ items: () => CareAccessStatus, type: 'string', length: 10 })
  status!: CareAccessStatus;

  @Property({ type: 'text' })
  @Field()
  reason!: string;

  @Property({ type: 'timestamptz', nullable: true })
  @Field(() => Date, { nullable: true })
  grantedAt?: Date | null;

  @Property({ type: 'timestamptz', nullable: true })
  @Field(() => Date, { nullable: true })
  expiresAt?: Date | null;

  /** The appointment behind the latest grant or request (doctor subgraph id). */
  @Property({ type: 'uuid', nullable: true })
  appointmentId?: string | null;

  /** When the patient last refused or revoked: grants from appointments booked before it do not reopen. */
  @Property({ type: 'timestamptz', nullable: true })
  patientRevokedAt?: Date | null;

  /** The doctor subgraph's clock of the newest care event applied (older events are ignored). */
  @Property({ type: 'timestamptz' })
  eventAt!: Date;
}

/** ACTIVE past its expiry reads as EXPIRED. */
export const effectiveCareStatus = (row: Pick<CareAccess, 'status' | 'expiresAt'>, now = new Date()): CareAccessStatus =>
  row.status === CareAccessStatus.ACTIVE && row.expiresAt && row.expiresAt.getTime() <= now.getTime()
    ? CareAccessStatus.EXPIRED
    : row.status;
