import { Arg, Authorized, Ctx, Field, FieldResolver, ID, Mutation, ObjectType, Query, Resolver, Root } from 'type-graphql';
import { AssistantAssignment, AssistantInvite, InviteStatus } from './assistant.entity.js';
import { InviteAssistantInput } from './assistant.inputs.js';
import * as assistants from './assistant.service.js';
import { Doctor } from '../doctor/doctor.entity.js';
import { Workplace } from '../workplace/workplace.entity.js';
import { Appointment } from '../appointment/appointment.entity.js';
import { UserRef, userRef } from '../user/user.reference.js';
import { requireDoctor, requireWorkplace } from '../loaders.js';
import type { DoctorSubgraphContext } from '../../context.js';

@ObjectType()
export class AssistantDashboard {
  @Field(() => [Doctor]) doctors!: Doctor[];
  @Field(() => [Workplace]) workplaces!: Workplace[];
  @Field(() => [Appointment]) todaysAppointments!: Appointment[];
  @Field(() => [AssistantInvite]) pendingInvites!: AssistantInvite[];
}

@Resolver(() => AssistantInvite)
export class AssistantResolver {
  @Authorized('DOCTOR')
  @Mutation(() => AssistantInvite, {
    description: 'Doctor: invite a registered ASSISTANT by email to one workplace (expires in 7 days).',
  })
  async inviteAssistant(
    @Arg('input', () => InviteAssistantInput) input: InviteAssistantInput,
    @Ctx() ctx: DoctorSubgraphContext,
  ) {
    return assistants.inviteAssistant(ctx, input);
  }

  @Authorized('ASSISTANT')
  @Mutation(() => AssistantInvite, { description: 'Assistant: accept (assigned to the workplace) or decline a pending invite.' })
  async respondToInvite(
    @Arg('inviteId', () => ID) inviteId: string,
    @Arg('accept', () => Boolean) accept: boolean,
    @Ctx() ctx: DoctorSubgraphContext,
  ) {
    return assistants.respondToInvite(ctx, inviteId, accept);
  }

  @Authorized('DOCTOR')
  @Mutation(() => AssistantInvite, {
    description:
      'Doctor: withdraw one of their invites while it is PENDING (CONFLICT once answered, revoked or expired); the invitee is notified.',
  })
  async revokeInvite(@Arg('inviteId', () => ID) inviteId: string, @Ctx() ctx: DoctorSubgraphContext) {
    return assistants.revokeInvite(ctx, inviteId);
  }

  @Authorized('DOCTOR')
  @Mutation(() => Boolean, { description: "Doctor: ends an assistant's assignment to one of their workplaces." })
  async revokeAssistant(@Arg('assignmentId', () => ID) assignmentId: string, @Ctx() ctx: DoctorSubgraphContext) {
    return assistants.revokeAssistant(ctx, assignmentId);
  }

  @Authorized('DOCTOR', 'ASSISTANT')
  @Query(() => [AssistantInvite], { description: 'Doctor: invites sent; assistant: invites received.' })
  async assistantInvites(
    @Arg('status', () => InviteStatus, { nullable: true }) status: InviteStatus | undefined,
    @Ctx() ctx: DoctorSubgraphContext,
  ) {
    return assistants.listAssistantInvites(ctx, status);
  }

  @Authorized('DOCTOR')
  @Query(() => [AssistantAssignment], { description: 'Doctor: current assistant assignments across their workplaces.' })
  async myAssistants(@Ctx() ctx: DoctorSubgraphContext) {
    return assistants.listMyAssistants(ctx);
  }

  @Authorized('ASSISTANT')
  @Query(() => AssistantDashboard, { description: "Assistant: doctors, workplaces, today's appointments, pending invites." })
  async assistantDashboard(@Ctx() ctx: DoctorSubgraphContext): Promise<AssistantDashboard> {
    return assistants.assistantDashboard(ctx);
  }

  @FieldResolver(() => InviteStatus)
  status(@Root() invite: AssistantInvite): InviteStatus {
    return assistants.effectiveStatus(invite);
  }

  @FieldResolver(() => Doctor)
  async doctor(@Root() invite: AssistantInvite, @Ctx() ctx: DoctorSubgraphContext) {
    return requireDoctor(ctx, invite.doctorId);
  }

  @FieldResolver(() => UserRef, {
    nullable: true,
    description: 'The invited assistant: to the doctor only once the invite was answered (null while pending)',
  })
  assistant(@Root() invite: AssistantInvite, @Ctx() ctx: DoctorSubgraphContext): UserRef | null {
    const id = assistants.inviteAssistantOf(ctx, invite);
    return id ? userRef(id) : null;
  }

  @FieldResolver(() => Workplace)
  async workplace(@Root() invite: AssistantInvite, @Ctx() ctx: DoctorSubgraphContext) {
    return requireWorkplace(ctx, invite.workplaceId);
  }
}

@Resolver(() => AssistantAssignment)
export class AssistantAssignmentResolver {
  @FieldResolver(() => UserRef)
  assistant(@Root() a: AssistantAssignment): UserRef {
    return userRef(a.assistantId);
  }

  @FieldResolver(() => Workplace)
  async workplace(@Root() a: AssistantAssignment, @Ctx() ctx: DoctorSubgraphContext) {
    return requireWorkplace(ctx, a.workplaceId);
  }
}
