import { Field, ID, InputType, ObjectType, registerEnumType } from 'type-graphql';
import { Connection } from '@hc/graphql';
import { Role } from '../user/user.entity.js';

export enum AuditAction {
  READ = 'READ',
  CREATE = 'CREATE',
  UPDATE = 'UPDATE',
  DELETE = 'DELETE',
}
registerEnumType(AuditAction, { name: 'AuditAction' });

/** One read or change of protected health data, from auth's collected copy of every subgraph's trail. */
@ObjectType('AuditEvent')
export class AuditEventView {
  @Field(() => ID)
  id!: string;

  @Field()
  occurredAt!: Date;

  /** Resolved by AuditEventResolver.actor; null when the system acted. */
  actorId!: string | null;

  @Field(() => Role, { nullable: true })
  actorRole!: Role | null;

  @Field(() => AuditAction)
  action!: AuditAction;

  @Field(() => String, { description: 'PatientProfile, User, Appointment, Prescription, AuditLog, ...' })
  resourceType!: string;

  @Field(() => ID, { nullable: true })
  resourceId!: string | null;

  /** Resolved by AuditEventResolver.patient. */
  patientId!: string | null;

  @Field(() => [String], { description: 'Which protected fields were read or changed.' })
  fields!: string[];

  @Field(() => String, { nullable: true })
  requestId!: string | null;

  @Field(() => String, { description: 'The subgraph that recorded it.' })
  service!: string;
}

@ObjectType()
export class AuditEventConnection extends Connection(AuditEventView) {}

@InputType()
export class AuditFilter {
  @Field(() => ID, { nullable: true })
  patientId?: string | null;

  @Field(() => ID, { nullable: true })
  actorId?: string | null;

  @Field(() => String, { nullable: true })
  resourceType?: string | null;

  @Field(() => Date, { nullable: true })
  from?: Date | null;

  @Field(() => Date, { nullable: true })
  to?: Date | null;
}
