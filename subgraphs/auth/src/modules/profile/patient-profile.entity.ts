import { Entity, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';
import { Field, ObjectType } from 'type-graphql';
import { Audited } from '@hc/audit';

/** Every field of the profile is PHI: each read is recorded (docs/privacy.md, Audit trail). */
const AuditedProfile = () => Audited('PatientProfile', (p: PatientProfile) => ({ resourceId: p.userId, patientId: p.userId }));

/** Health data of a patient (PHI): read only through User.patientProfile, which checks the caller. */
@Entity({ tableName: 'patient_profiles' })
@ObjectType()
export class PatientProfile {
  @PrimaryKey({ type: 'uuid' })
  userId!: string;

  @Property({ type: 'string', length: 200, nullable: true })
  @Field(() => String, { nullable: true })
  @AuditedProfile()
  emergencyContact?: string | null;

  @Property({ type: 'text', nullable: true })
  @Field(() => String, { nullable: true })
  @AuditedProfile()
  insuranceInfo?: string | null;

  @Property({ type: 'text', nullable: true })
  @Field(() => String, { nullable: true })
  @AuditedProfile()
  medicalHistory?: string | null;

  @Property({ type: 'text[]' })
  @Field(() => [String])
  @AuditedProfile()
  allergies: string[] = [];

  @Property({ type: 'timestamptz', onUpdate: () => new Date() })
  updatedAt: Date = new Date();
}
