import {
  Arg,
  Args,
  ArgsType,
  Authorized,
  Ctx,
  Field,
  FieldResolver,
  ID,
  Int,
  Mutation,
  ObjectType,
  Query,
  Resolver,
  Root,
  Subscription,
} from 'type-graphql';
import type { EntityManager } from '@mikro-orm/postgresql';
import { auditChange } from '@hc/audit';
import {
  BadUserInputError,
  ConflictError,
  Connection,
  ForbiddenError,
  NotFoundError,
  byKeys,
  loader,
  offsetCursor,
  pageSize,
  requireUser,
  toConnection,
} from '@hc/graphql';
import { Appointment, AppointmentEvent, AppointmentEventType, AppointmentStatus } from './appointment.entity.js';
import { BookAppointmentInput } from './appointment.inputs.js';
import { changeContext, changedEvent, recordChange } from './appointment.notify.js';
import { Doctor, VerificationStatus } from '../doctor/doctor.entity.js';
import { doctorById } from '../doctor/doctor.resolver.js';
import { Workplace } from '../workplace/workplace.entity.js';
import { workplaceById } from '../workplace/workplace.resolver.js';
import { UserCopy } from '../user/user-copy.entity.js';
import { UserRef, userRef } from '../user/user.reference.js';
import { slotStartingAt } from '../availability/slots.js';
import { assistantsOf, canSeeAppointment, isStaffOf, myAssignedWorkplaceIds, myDoctorOrNull } from '../access.js';
import type { DoctorSubgraphContext } from '../../context.js';
import { lockInOrder } from '@hc/db';
import { publishCareState } from '../care.js';

@ObjectType()
export class AppointmentConnection extends Connection(Appointment) {}

/** auth declares the same connection for `users`; Connection's fields are @shareable for that. */
@ObjectType({ description: 'Users (patients) a doctor or assistant cares for.' })
export class UserConnection extends Connection(UserRef) {}

@ArgsType()
class AppointmentsArgs {
  @Field(() => AppointmentStatus, { nullable: true }) status?: AppointmentStatus | null;
  @Field(() => Date, { nullable: true }) from?: Date | null;
  @Field(() => Date, { nullable: true }) to?: Date | null;
  @Field(() => Int, { nullable: true, defaultValue: 20 }) first?: number;
  @Field(() => String, { nullable: true }) after?: string | null;
}

const ACTIVE = [AppointmentStatus.PENDING, AppointmentStatus.CONFIRMED];

/** Batched: appointments by id. */
const appointmentById = (ctx: DoctorSubgraphContext, id: string) =>
  loader<string, Appointment | null>(ctx, appointmentById, async (ids) =>
    byKeys(ids, await ctx.em.find(Appointment, { id: { $in: [...ids] } }), (a) => a.id),
  ).load(id);

/** The appointment if the caller may see it; NOT_FOUND otherwise, so ids of others' appointments leak nothing. */
async function visibleAppointment(ctx: DoctorSubgraphContext, id: string): Promise<Appointment> {
  const a = await appointmentById(ctx, id);
  if (!a || !(await canSeeAppointment(ctx, a))) throw new NotFoundError('Appointment');
  return a;
}

/** The doctor of the appointment or an assistant assigned to its workplace. */
async function isStaffOfAppointment(ctx: DoctorSubgraphContext, a: Appointment): Promise<boolean> {
  const user = requireUser(ctx.auth);
  if (user.id === a.doctorUserId) return true;
  return user.role === 'ASSISTANT' && (await myAssignedWorkplaceIds(ctx)).has(a.workplaceId);
}

/** Friendly check before the exclusion constraints answer: overlapping non-cancelled appointments. */
async function assertFree(
  em: EntityManager,
  a: { doctorId: string; patientId: string; startsAt: Date; endsAt: Date },
  exceptId?: string,
) {
  const clash = await em.count(Appointment, {
    ...(exceptId ? { id: { $ne: exceptId } } : {}),
    status: { $ne: AppointmentStatus.CANCELLED },
    startsAt: { $lt: a.endsAt },
    endsAt: { $gt: a.startsAt },
    $or: [{ doctorId: a.doctorId }, { patientId: a.patientId }],
  });
  if (clash > 0) throw new ConflictError('The requested time slot is no longer available', 'SLOT_UNAVAILABLE');
}

/** The slot of an active workplace starting at `startsAt`, in the future. */
function requireSlot(wp: Workplace, startsAt: Date) {
  if (startsAt.getTime() <= Date.now()) throw BadUserInputError.field('startsAt', 'startsAt must be in the future');
  const slot = slotStartingAt(wp, startsAt);
  if (!slot) throw BadUserInputError.field('startsAt', 'startsAt is not the start of a slot of this workplace');
  return slot;
}

async function appointmentsPage(ctx: DoctorSubgraphContext, where: Record<string, unknown>, args: AppointmentsArgs) {
  if (args.status) where.status = args.status;
  if (args.from || args.to) where.startsAt = { ...(args.from ? { $gte: args.from } : {}), ...(args.to ? { $lt: args.to } : {}) };
  const cursor = await ctx.em.findByCursor(Appointment, {
    where,
    first: pageSize(args.first),
    after: args.after ?? undefined,
    orderBy: { startsAt: 'asc', id: 'asc' },
  });
  return toConnection(cursor);
}
const VERB: Record<string, string> = {
  CONFIRMED: 'confirm',
  COMPLETED: 'complete',
  NO_SHOW: 'mark as no-show',
  CANCELLED: 'cancel',
};

@Resolver(() => Appointment)
export class AppointmentResolver {
  @Query(() => Appointment, {
    nullable: true,
    description: 'Participants, assigned assistants and admins; anyone else NOT_FOUND.',
  })
  @Authorized()
  async appointment(@Arg('id', () => ID) id: string, @Ctx() ctx: DoctorSubgraphContext): Promise<Appointment> {
    return visibleAppointment(ctx, id);
  }

  @Query(() => AppointmentConnection, {
    description: "The caller's appointments: as patient, as doctor, or as assistant of assigned workplaces.",
  })
  @Authorized()
  async myAppointments(@Args(() => AppointmentsArgs) args: AppointmentsArgs, @Ctx() ctx: DoctorSubgraphContext) {
    const user = requireUser(ctx.auth);
    const where: Record<string, unknown> = {};
    if (user.role === 'DOCTOR') where.doctorUserId = user.id;
    else if (user.role === 'ASSISTANT') where.workplaceId = { $in: [...(await myAssignedWorkplaceIds(ctx))] };
    else where.patientId = user.id;
    return appointmentsPage(ctx, where, args);
  }

  @Query(() => UserConnection, { description: 'Doctor: their patients; assistant: patients of assigned workplaces.' })
  @Authorized('DOCTOR', 'ASSISTANT')
  async myPatients(
    @Ctx() ctx: DoctorSubgraphContext,
    @Arg('first', () => Int, { nullable: true, defaultValue: 20 }) first?: number,
    @Arg('after', () => String, { nullable: true }) after?: string,
  ): Promise<UserConnection> {
    const limit = pageSize(first);
    const offset = offsetCursor.decode(after);
    let scope: string;
    let params: unknown[];
    const doctor = await myDoctorOrNull(ctx);
    if (doctor) {
      scope = 'doctor_id = ?';
      params = [doctor.id];
    } else {
      const ids = [...(await myAssignedWorkplaceIds(ctx))];
      if (ids.length === 0) return { nodes: [], totalCount: 0, pageInfo: { endCursor: null, hasNextPage: false } };
      scope = 'workplace_id in (?)';
      params = [ids];
    }
    const conn = ctx.em.getConnection();
    const [rows, total] = await Promise.all([
      conn.execute<{ patient_id: string }[]>(
        `select patient_id from appointments where ${scope} group by patient_id order by min(created_at), patient_id limit ? offset ?`,
        [...params, limit, offset],
      ),
      conn.execute<{ n: string }[]>(`select count(distinct patient_id) as n from appointments where ${scope}`, params),
    ]);
    const totalCount = Number(total[0]?.n ?? 0);
    const end = offset + rows.length;
    return {
      nodes: rows.map((r) => userRef(r.patient_id)),
      totalCount,
      pageInfo: { endCursor: rows.length ? offsetCursor.encode(end) : null, hasNextPage: end < totalCount },
    };
  }

  @Mutation(() => Appointment, { description: 'A patient for themself, or the doctor / an assigned assistant for patientId.' })
  @Authorized()
  async bookAppointment(
    @Arg('input', () => BookAppointmentInput) input: BookAppointmentInput,
    @Ctx() ctx: DoctorSubgraphContext,
  ) {
    const user = requireUser(ctx.auth);
    const em = ctx.em.fork();
    const wp = await em.findOne(Workplace, { id: input.workplaceId });
    const doctor = wp && (await em.findOne(Doctor, { id: wp.doctorId }));
    if (!wp || !wp.isActive || !doctor || doctor.verificationStatus !== VerificationStatus.APPROVED)
      throw new NotFoundError('Workplace');
    let patientId: string;
    if (user.role === 'PATIENT') {
      if (input.patientId && input.patientId !== user.id) throw new ForbiddenError('Patients book for themselves only');
      patientId = user.id;
    } else if (user.role === 'DOCTOR' || user.role === 'ASSISTANT') {
      if (!(await isStaffOf(ctx, wp))) throw new ForbiddenError('You do not work at this workplace');
      if (!input.patientId) throw BadUserInputError.field('patientId', 'patientId is required when staff book');
      const patient = await em.findOne(UserCopy, { userId: input.patientId });
      if (!patient || patient.role !== 'PATIENT') throw BadUserInputError.field('patientId', 'not a registered patient');
      patientId = input.patientId;
    } else {
      throw new ForbiddenError('Only patients and their care staff book appointments');
    }
    const slot = requireSlot(wp, input.startsAt);
    const a = em.create(
      Appointment,
      {
        patientId,
        doctorId: doctor.id,
        doctorUserId: doctor.userId,
        workplaceId: wp.id,
        startsAt: slot.startsAt,
        endsAt: slot.endsAt,
        notes: input.notes ?? null,
      } as Appointment,
      { persist: false },
    ); // persisted inside the transaction, after the friendly check
    const [, change] = await Promise.all([assertFree(em, a), changeContext(em, a, wp)]);
    // One flush in one transaction: the appointment (the exclusion constraints decide here) and its outbox rows.
    await em.transactional(async (tx) => {
      // Racing bookings of one doctor or patient queue here; the constraints still decide.
      await lockInOrder(tx, [`doctor:${a.doctorId}`, `patient:${a.patientId}`, `workplace:${a.workplaceId}`]);
      tx.persist(a);
      recordChange(tx, a, AppointmentEventType.BOOKED, change);
      await tx.flush();
      await publishCareState(tx, a.patientId, [a.doctorUserId, ...(await staffOf(tx, a.workplaceId))]);
      if (a.notes)
        await auditChange(tx, 'doctor', ctx, {
          action: 'CREATE',
          resourceType: 'Appointment',
          resourceId: a.id,
          patientId: a.patientId,
          fields: ['notes'],
        });
    });
    await ctx.events.publish(changedEvent(a, AppointmentEventType.BOOKED, change));
    return a;
  }

  private async transition(
    ctx: DoctorSubgraphContext,
    id: string,
    to: AppointmentStatus,
    from: AppointmentStatus[],
    type: AppointmentEventType,
    allowPatient: boolean,
    extra: Partial<Appointment> = {},
  ): Promise<Appointment> {
    const user = requireUser(ctx.auth);
    const current = await visibleAppointment(ctx, id);
    const mayAct = (allowPatient && user.id === current.patientId) || (await isStaffOfAppointment(ctx, current));
    if (!mayAct) throw new ForbiddenError(`You cannot ${VERB[to]} this appointment`);
    const em = ctx.em.fork();
    const change = await changeContext(em, current);
    const appointment = await em.transactional(async (tx) => {
      // Conditional update: the status machine holds even when two requests race.
      const changed = await tx.nativeUpdate(
        Appointment,
        { id, status: { $in: from }, version: current.version },
        { status: to, version: current.version + 1, updatedAt: new Date(), ...extra },
      );
      if (changed === 0) {
        const now = await tx.findOne(Appointment, { id }, { refresh: true });
        throw new ConflictError(`Cannot ${VERB[to]} an appointment that is ${now?.status ?? 'gone'}`, 'INVALID_STATUS');
      }
      const fresh = await tx.findOneOrFail(Appointment, { id }, { refresh: true });
      recordChange(tx, fresh, type, change);
      if (type === AppointmentEventType.CANCELLED) {
        // A cancelled appointment no longer grants access to the patient's health data.
        await lockInOrder(tx, [`workplace:${fresh.workplaceId}`]);
        await publishCareState(tx, fresh.patientId, [fresh.doctorUserId, ...(await staffOf(tx, fresh.workplaceId))]);
      }
      return fresh;
    });
    await ctx.events.publish(changedEvent(appointment, type, change));
    return appointment;
  }

  @Mutation(() => Appointment, { description: 'Doctor or assigned assistant: PENDING → CONFIRMED.' })
  @Authorized()
  confirmAppointment(@Arg('id', () => ID) id: string, @Ctx() ctx: DoctorSubgraphContext) {
    return this.transition(
      ctx,
      id,
      AppointmentStatus.CONFIRMED,
      [AppointmentStatus.PENDING],
      AppointmentEventType.CONFIRMED,
      false,
    );
  }

  @Mutation(() => Appointment, { description: 'Either side: PENDING/CONFIRMED → CANCELLED.' })
  @Authorized()
  cancelAppointment(
    @Arg('id', () => ID) id: string,
    @Arg('reason', () => String, { nullable: true }) reason: string | undefined,
    @Ctx() ctx: DoctorSubgraphContext,
  ) {
    if (reason && reason.length > 2000) throw BadUserInputError.field('reason', 'reason is at most 2000 characters');
    return this.transition(ctx, id, AppointmentStatus.CANCELLED, ACTIVE, AppointmentEventType.CANCELLED, true, {
      cancellationReason: reason?.trim() || null,
      cancelledBy: requireUser(ctx.auth).id,
    });
  }

  @Mutation(() => Appointment, { description: 'Doctor or assigned assistant: CONFIRMED → COMPLETED.' })
  @Authorized()
  completeAppointment(@Arg('id', () => ID) id: string, @Ctx() ctx: DoctorSubgraphContext) {
    return this.transition(
      ctx,
      id,
      AppointmentStatus.COMPLETED,
      [AppointmentStatus.CONFIRMED],
      AppointmentEventType.COMPLETED,
      false,
    );
  }

  @Mutation(() => Appointment, { description: 'Doctor or assigned assistant: CONFIRMED → NO_SHOW.' })
  @Authorized()
  markNoShow(@Arg('id', () => ID) id: string, @Ctx() ctx: DoctorSubgraphContext) {
    return this.transition(
      ctx,
      id,
      AppointmentStatus.NO_SHOW,
      [AppointmentStatus.CONFIRMED],
      AppointmentEventType.NO_SHOW,
      false,
    );
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
    const user = requireUser(ctx.auth);
    const current = await visibleAppointment(ctx, id);
    if (user.id !== current.patientId && !(await isStaffOfAppointment(ctx, current)))
      throw new ForbiddenError('You cannot reschedule this appointment');
    const em = ctx.em.fork();
    const wp = await em.findOne(Workplace, { id: current.workplaceId });
    if (!wp?.isActive) throw new ConflictError('The workplace no longer takes bookings', 'WORKPLACE_INACTIVE');
    const slot = requireSlot(wp, startsAt);
    const [, change] = await Promise.all([
      assertFree(em, { ...current, startsAt: slot.startsAt, endsAt: slot.endsAt }, current.id),
      changeContext(em, current, wp),
    ]);
    const appointment = await em.transactional(async (tx) => {
      await lockInOrder(tx, [`doctor:${current.doctorId}`, `patient:${current.patientId}`, `workplace:${current.workplaceId}`]);
      const changed = await tx.nativeUpdate(
        Appointment,
        { id, status: { $in: ACTIVE }, version: current.version },
        { startsAt: slot.startsAt, endsAt: slot.endsAt, version: current.version + 1, updatedAt: new Date() },
      );
      if (changed === 0) {
        const now = await tx.findOne(Appointment, { id }, { refresh: true });
        throw new ConflictError(`Cannot reschedule an appointment that is ${now?.status ?? 'gone'}`, 'INVALID_STATUS');
      }
      const fresh = await tx.findOneOrFail(Appointment, { id }, { refresh: true });
      recordChange(tx, fresh, AppointmentEventType.RESCHEDULED, change);
      return fresh;
    });
    await ctx.events.publish(changedEvent(appointment, AppointmentEventType.RESCHEDULED, change));
    return appointment;
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

  @FieldResolver(() => UserRef)
  patient(@Root() a: Appointment): UserRef {
    return userRef(a.patientId);
  }

  @FieldResolver(() => Doctor)
  async doctor(@Root() a: Appointment, @Ctx() ctx: DoctorSubgraphContext): Promise<Doctor> {
    const d = await doctorById(ctx, a.doctorId);
    if (!d) throw new NotFoundError('Doctor');
    return d;
  }

  @FieldResolver(() => Workplace)
  async workplace(@Root() a: Appointment, @Ctx() ctx: DoctorSubgraphContext): Promise<Workplace> {
    const wp = await workplaceById(ctx, a.workplaceId);
    if (!wp) throw new NotFoundError('Workplace');
    return wp;
  }
}

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
    const caller = requireUser(ctx.auth);
    if (caller.id !== user.id && caller.role !== 'ADMIN') throw new ForbiddenError('Only the user and admins see these');
    const where: Record<string, unknown> = { $or: [{ patientId: user.id }, { doctorUserId: user.id }] };
    return appointmentsPage(ctx, where, args);
  }
}

/** Federation: Appointment by key, authorized like appointment(id) (null when not visible). */
export const appointmentReference = {
  Appointment: {
    __resolveReference: async (ref: { id: string }, ctx: DoctorSubgraphContext) => {
      const a = await appointmentById(ctx, ref.id);
      return a && (await canSeeAppointment(ctx, a)) ? a : null;
    },
  },
};

/** Assistants assigned to a workplace now (read after the workplace lock). */
async function staffOf(tx: EntityManager, workplaceId: string): Promise<string[]> {
  return (await assistantsOf(tx, [workplaceId])).get(workplaceId) ?? [];
}
