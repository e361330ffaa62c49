import { Entity, Enum, Property } from '@mikro-orm/decorators/legacy';
import { TimestampedEntity } from '@hc/db';
import { Directive, Field, ID, ObjectType, registerEnumType } from 'type-graphql';

export enum VerificationStatus {
  PENDING = 'PENDING',
  APPROVED = 'APPROVED',
  REJECTED = 'REJECTED',
}
registerEnumType(VerificationStatus, { name: 'VerificationStatus' });

@Entity({ tableName: 'doctors' })
@ObjectType()
@Directive('@key(fields: "id")')
export class Doctor extends TimestampedEntity {
  @Field(() => ID)
  override id!: string;

  /** The auth user this profile belongs to (one profile per user). */
  @Property({ type: 'uuid', unique: true })
  userId!: string;

  /** Display name copied from auth's user.changed events (directory search); null until the first event. */
  @Property({ type: 'string', length: 200, nullable: true })
  name?: string | null;

  @Property({ type: 'string', length: 120 })
  @Field()
  specialization!: string;

  /**
   * Shown to the doctor and admins only (licenseNumberOf in doctor.service.ts). Not unique: a
   * duplicate is accepted as PENDING and flagged (licenseShared) so that the answer never confirms
   * another doctor's number; the database allows one APPROVED profile per number.
   */
  @Property({ type: 'string', length: 64 })
  licenseNumber!: string;

  /** Another profile had this licence number when it was entered: for the admin review. */
  @Property({ type: 'boolean' })
  licenseShared: boolean = false;

  @Property({ type: 'text', nullable: true })
  @Field(() => String, { nullable: true })
  biography?: string | null;

  @Enum({ items: () => VerificationStatus, nativeEnumName: 'verification_status' })
  @Field(() => VerificationStatus)
  verificationStatus: VerificationStatus = VerificationStatus.PENDING;

  /** Why an admin rejected the profile; sent to the doctor, readable by the doctor and admins (reviewReasonOf). */
  @Property({ type: 'text', nullable: true })
  reviewReason?: string | null;
}
