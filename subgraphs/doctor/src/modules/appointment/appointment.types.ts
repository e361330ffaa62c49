import { ArgsType, Field, Int, ObjectType } from 'type-graphql';
import { Connection } from '@hc/graphql';
import { Appointment, AppointmentStatus } from './appointment.entity.js';
import { UserRef } from '../user/user.reference.js';

@ObjectType()
export class AppointmentConnection extends Connection(Appointment) {}

/** auth declares the same connection for `users`; Connection's fields are @shareable for that. */
@ObjectType({ description: 'Users (patients) a doctor or assistant cares for.' })
export class UserConnection extends Connection(UserRef) {}

@ArgsType()
export class AppointmentsArgs {
  @Field(() => AppointmentStatus, { nullable: true }) status?: AppointmentStatus | null;
  @Field(() => Date, { nullable: true }) from?: Date | null;
  @Field(() => Date, { nullable: true }) to?: Date | null;
  @Field(() => Int, { nullable: true, defaultValue: 20 }) first?: number;
  @Field(() => String, { nullable: true }) after?: string | null;
}
