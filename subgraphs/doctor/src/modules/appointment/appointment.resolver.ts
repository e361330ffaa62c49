import { Arg, Args, Authorized, Ctx, FieldResolver, ID, Int, Mutation, Query, Resolver, Root, Subscription } from 'type-graphql';
import { ForbiddenError } from '@hc/graphql';
import { Appointment, AppointmentEvent } from './appointment.entity.js';
import { BookAppointmentInput } from './appointment.inputs.js';
import { AppointmentConnection, AppointmentsArgs, UserConnection } from './appointment.types.js';
import * as appointments from './appointment.service.js';
import { Doctor } from '../doctor/doctor.entity.js';
import { Workplace } from '../workplace/workplace.entity.js';
import { SlotReleasedEvent } from '../availability/slots.js';
import { UserRef, userRef } from '../user/user.reference.js';
import { requireDoctor, requireWorkplace } from '../loaders.js';
import type { DoctorSubgraphContext } from '../../context.js';

@Resolver(() => Appointment)
export class AppointmentResolver {
  @Query(() => Appointment, {
    nullable: true,
    description: 'Participants, assigned assistants and admins; anyone else NOT_FOUND.',
  })
  @Authorized()
  async appointment(@Arg('id', () => ID) id: string, @Ctx() ctx: DoctorSubgraphContext): Promise<Appointment> {
    return appointments.findVisibleAppointment(ctx, id);
  }

  @Query(() => AppointmentConnection, {
    description: "The caller's appointments: as patient, as doctor, or as assistant of assigned workplaces.",
  })
  @Authorized()
  async myAppointments(@Args(() => AppointmentsArgs) args: AppointmentsArgs, @Ctx() ctx: DoctorSubgraphContext) {
    return appointments.listMyAppointments(ctx, args);
  }

  @Query(() => UserConnection, { description: 'Doctor: their patients; assistant: patients of assigned workplaces.' })
  @Authorized('DOCTOR', 'ASSISTANT')
  async myPatients(
    @Ctx() ctx: DoctorSubgraphContext,
    @Arg('first', () => Int, { nullable: true, defaultValue: 20 }) first?: number,
    @Arg('after', () => String, { nullable: true }) after?: string,
  ): Promise<UserConnection> {
    return appointments.listMyPatients(ctx, { first, after });
  }

  @Mutation(() => Appointment, { description: 'A patient for themself, or the doctor / an assigned assistant for patientId.' })
  @Authorized()
  async bookAppointment(
    @Arg('input', () => BookAppointmentInput) input: BookAppointmentInput,
    @Ctx() ctx: DoctorSubgraphContext,
  ) {
    return appointments.bookAppointment(ctx, input);
  }

  @Mutation(() => Appointment, { description: 'Doctor or assigned assistant: PENDING → CONFIRMED.' })
  @Authorized()
  confirmAppointment(@Arg('id', () => ID) id: string, @Ctx() ctx: DoctorSubgraphContext) {
    return appointments.confirmAppointment(ctx, id);
  }

  @Mutation(() => Appointment, { description: 'Either side: PENDING/CONFIRMED → CANCELLED.' })
  @Authorized()
  cancelAppointment(
    @Arg('id', () => ID) id: string,
    @Arg('reason', () => String, { nullable: true }) reason: string | undefined,
    @Ctx() ctx: DoctorSubgraphContext,
  ) {
    return appointments.cancelAppointment(ctx, id, reason);
  }

  @Mutation(() => Appointment, { description: 'Doctor or assigned assistant: CONFIRMED → COMPLETED.' })
  @Authorized()
  completeAppointment(@Arg('id', () => ID) id: string, @Ctx() ctx: DoctorSubgraphContext) {
    return appointments.completeAppointment(ctx, id);
  }

  @Mutation(() => Appointment, {
    description: 'Doctor or assigned assistant: CONFIRMED → NO_SHOW; its future time is freed (waitlist offer, else public).',
  })
  @Authorized()
  markNoShow(@Arg('id', () => ID) id: string, @Ctx() ctx: DoctorSubgraphContext) {
    return appointments.markNoShow(ctx, id);
  }

  @Mutation(() => Appointment, {
    description: 'Moves a PENDING/CONFIRMED appointment to another slot of its workplace, atomically.',
  })
  @Authorized()
  async rescheduleAppointment(
    @Arg('id', () => ID) id: string,
    @Arg('startsAt', () => Date) startsAt: Date,
    @Ctx() ctx: DoctorSubgraphContext,
  ): Promise<Appointment> {
    return appointments.rescheduleAppointment(ctx, id, startsAt);
  }

  @Subscription(() => AppointmentEvent, {
    description:
      'Events for appointments the subscriber may see (patient, doctor, assigned assistants). Served by the gateway over graphql-ws.',
    subscribe: () => {
      throw new ForbiddenError('Subscriptions are served by the gateway over graphql-ws');
    },
  })
  appointmentUpdated(
    @Root() event: AppointmentEvent,
    @Arg('doctorId', () => ID, { nullable: true }) _doctorId?: string,
    @Arg('workplaceId', () => ID, { nullable: true }) _workplaceId?: string,
  ): AppointmentEvent {
    return event;
  }

  @Subscription(() => SlotReleasedEvent, {
    description:
      'A slot became bookable by anyone: a waitlist hold released with nobody left waiting, or a cancelled, rescheduled or no-show slot no waiting patient took. Any signed-in user; served by the gateway over graphql-ws.',
    subscribe: () => {
      throw new ForbiddenError('Subscriptions are served by the gateway over graphql-ws');
    },
  })
  slotReleased(
    @Root() event: SlotReleasedEvent,
    @Arg('doctorId', () => ID, { nullable: true }) _doctorId?: string,
    @Arg('workplaceId', () => ID, { nullable: true }) _workplaceId?: string,
  ): SlotReleasedEvent {
    return event;
  }

  @FieldResolver(() => UserRef)
  patient(@Root() a: Appointment): UserRef {
    return userRef(a.patientId);
  }

  @FieldResolver(() => Doctor)
  async doctor(@Root() a: Appointment, @Ctx() ctx: DoctorSubgraphContext): Promise<Doctor> {
    return requireDoctor(ctx, a.doctorId);
  }

  @FieldResolver(() => Workplace)
  async workplace(@Root() a: Appointment, @Ctx() ctx: DoctorSubgraphContext): Promise<Workplace> {
    return requireWorkplace(ctx, a.workplaceId);
  }
}
