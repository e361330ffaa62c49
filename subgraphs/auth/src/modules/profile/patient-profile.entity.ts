import { Entity, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';
import { Field, ObjectType } from 'type-graphql';

/** Health data of a patient (PHI): read only through User.patientProfile, which checks the caller. */
@Entity({ tableName: 'patient_profiles' })
@ObjectType()
export class PatientProfile {
  @PrimaryKey({ type: 'uuid' })
  userId!: string;

  @Property({ type: 'string', length: 200, nullable: true })
  @Field(() => String, { nullable: true })
  emergencyContact?: string | null;

  @Property({ type: 'text', nullable: true })
  @Field(() => String, { nullable: true })
  insuranceInfo?: string | null;

  @Property({ type: 'text', nullable: true })
  @Field(() => String, { nullable: true })
  medicalHistory?: string | null;

  @Property({ type: 'text[]' })
  @Field(() => [String])
  allergies: string[] = [];

  @Property({ type: 'timestamptz', onUpdate: () => new Date() })
  updatedAt: Date = new Date();
}
