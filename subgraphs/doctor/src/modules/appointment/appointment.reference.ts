import { Args, Ctx, FieldResolver, Resolver, Root } from 'type-graphql';
import { AppointmentConnection, AppointmentsArgs } from './appointment.types.js';
import { appointmentByReference, listUserAppointments } from './appointment.service.js';
import { UserRef } from '../user/user.reference.js';
import type { DoctorSubgraphContext } from '../../context.js';

/** Federation: Appointment by key, authorized like appointment(id) (null when not visible). */
export const appointmentReference = {
  Appointment: {
    __resolveReference: (ref: { id: string }, ctx: DoctorSubgraphContext) => appointmentByReference(ctx, ref.id),
  },
};

/** Federation: the appointments on auth's User. */
@Resolver(() => UserRef)
export class UserAppointmentsResolver {
  @FieldResolver(() => AppointmentConnection, {
    description: "The user's appointments (as patient or doctor): the user themself and admins.",
  })
  async appointments(
    @Root() user: UserRef,
    @Args(() => AppointmentsArgs) args: AppointmentsArgs,
    @Ctx() ctx: DoctorSubgraphContext,
  ) {
    return listUserAppointments(ctx, user.id, args);
  }
}
