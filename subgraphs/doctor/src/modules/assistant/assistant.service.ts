import type { EntityManager } from '@mikro-orm/postgresql';
import { DateTime } from 'luxon';
import { ConflictError, ForbiddenError, NotFoundError, requireUser } from '@hc/graphql';
import { outbox } from '@hc/jobs';
import { lockInOrder } from '@hc/db';
import { AssistantAssignment, AssistantInvite, InviteStatus } from './assistant.entity.js';
import type { InviteAssistantInput } from './assistant.inputs.js';
import { Doctor, VerificationStatus } from '../doctor/doctor.entity.js';
import { Workplace } from '../workplace/workplace.entity.js';
import { Appointment, AppointmentStatus } from '../appointment/appointment.entity.js';
import { HELD } from '../waitlist/waitlist.entity.js';
import { UserCopy } from '../user/user-copy.entity.js';
import { myAssignedWorkplaceIds, requireMyDoctor } from '../access.js';
import { publishCareState } from '../care.js';
import type { DoctorSubgraphContext } from '../../context.js';

/** A PENDING invite past its expiry reads as EXPIRED (rows are only rewritten when a new invite needs the slot). */
export const effectiveStatus = (i: AssistantInvite): InviteStatus =>
  i.status === InviteStatus.PENDING && i.expiresAt.getTime() <= Date.now() ? InviteStatus.EXPIRED : i.status;

/**
 * auth learns who may read the workplace's patients' health profiles after an assistant is added
 * or removed: the care state of every patient seen there is recomputed for that assistant (a
 * patient they still serve at another assigned workplace keeps the access). Takes the workplace
 * lock, the same one booking and cancellation take, so care states publish in commit order.
 */
async function careChangedForWorkplace(em: EntityManager, workplaceId: string, assistantId: string, joined = false) {
  await lockInOrder(em, [`workplace:${workplaceId}`]);
  const rows = await em
    .getConnection()
    .execute<{ patient_id: string }[]>(
      `select distinct patient_id from appointments where workplace_id = ?`,
      [workplaceId],
      'all',
      em.getTransactionContext(),
    );
  // A joining assistant is granted the patients with upcoming appointments there (each by that
  // appointment's booking: the patient's own, or a request to them); past patients are not theirs.
  for (const r of rows) await publishCareState(em, r.patient_id, [assistantId], joined ? 'upcoming' : undefined);
}

/**
 * Doctor: invites an assistant by email to one of their workplaces. The answer is the same whether
 * or not an ASSISTANT has that email (no account probing): the invite is recorded either way; only
 * a registered assistant is notified and can see and answer it, an invite for any other email just
 * expires. At most one PENDING invite per invitee and workplace.
 */
export async function inviteAssistant(ctx: DoctorSubgraphContext, input: InviteAssistantInput): Promise<AssistantInvite> {
  const doctor = await requireMyDoctor(ctx);
  if (doctor.verificationStatus !== VerificationStatus.APPROVED)
    throw new ForbiddenError('Your doctor profile must be approved before you invite assistants');
  const em = ctx.em.fork();
  const wp = await em.findOne(Workplace, { id: input.workplaceId, doctorId: doctor.id });
  if (!wp) throw new NotFoundError('Workplace');
  const email = input.assistantEmail.trim().toLowerCase();
  const account = await em.findOne(UserCopy, { email: { $ilike: email.replace(/[\\%_]/g, '\\$&') } });
  const assistantId = account?.role === 'ASSISTANT' ? account.userId : null;
  if (assistantId) {
    // The doctor already sees who works at their own workplaces (myAssistants): no probe here.
    const assigned = await em.count(AssistantAssignment, { assistantId, workplaceId: wp.id, revokedAt: null });
    if (assigned > 0) throw new ConflictError('This assistant already works at this workplace', 'ALREADY_ASSIGNED');
  }
  const invitee = assistantId ? { assistantId } : { assistantId: null, inviteeEmail: email };
  return em.transactional(async (tx) => {
    // Expired invites stop blocking a new one (the partial unique indexes cover PENDING rows).
    await tx.nativeUpdate(
      AssistantInvite,
      { ...invitee, workplaceId: wp.id, status: InviteStatus.PENDING, expiresAt: { $lte: new Date() } },
      { status: InviteStatus.EXPIRED },
    );
    const pending = await tx.count(AssistantInvite, { ...invitee, workplaceId: wp.id, status: InviteStatus.PENDING });
    if (pending > 0)
      throw new ConflictError('A pending invite already exists for this assistant and workplace', 'INVITE_PENDING');
    const invite = tx.create(AssistantInvite, {
      doctorId: doctor.id,
      assistantId,
      inviteeEmail: email,
      workplaceId: wp.id,
      message: input.message?.trim() || null,
    } as AssistantInvite);
    await tx.flush();
    if (assistantId)
      outbox.notify(tx, {
        idempotencyKey: `assistant-invite:${invite.id}`,
        userId: assistantId,
        template: 'assistant.invited',
        variables: {
          doctorName: doctor.name ?? '',
          workplaceName: wp.name,
          message: invite.message ?? '',
          expiresAt: invite.expiresAt.toISOString(),
        },
      });
    return invite;
  });
}

/**
 * The invited assistant as the caller may see it: the assistant themself always; the doctor only
 * once the invite was answered (while it is pending, a User here would tell the doctor that an
 * assistant account has that email).
 */
export function inviteAssistantOf(ctx: DoctorSubgraphContext, invite: AssistantInvite): string | null {
  if (!invite.assistantId) return null;
  if (ctx.auth.user?.id === invite.assistantId) return invite.assistantId;
  return invite.status === InviteStatus.ACCEPTED || invite.status === InviteStatus.DECLINED ? invite.assistantId : null;
}

/**
 * Assistant: accepts (assigned to the workplace, care state published for its patients) or
 * declines their own pending, unexpired invite. A conditional update decides racing answers.
 */
export async function respondToInvite(ctx: DoctorSubgraphContext, inviteId: string, accept: boolean): Promise<AssistantInvite> {
  const user = requireUser(ctx.auth);
  const em = ctx.em.fork();
  return em.transactional(async (tx) => {
    const invite = await tx.findOne(AssistantInvite, { id: inviteId, assistantId: user.id });
    if (!invite) throw new NotFoundError('Invite');
    const changed = await tx.nativeUpdate(
      AssistantInvite,
      { id: invite.id, status: InviteStatus.PENDING, expiresAt: { $gt: new Date() } },
      { status: accept ? InviteStatus.ACCEPTED : InviteStatus.DECLINED, respondedAt: new Date() },
    );
    if (changed === 0) {
      const status = effectiveStatus(invite);
      throw new ConflictError(
        status === InviteStatus.EXPIRED ? 'This invite has expired' : `This invite is already ${status}`,
        status === InviteStatus.EXPIRED ? 'INVITE_EXPIRED' : 'INVITE_NOT_PENDING',
      );
    }
    if (accept) {
      tx.create(AssistantAssignment, {
        assistantId: user.id,
        workplaceId: invite.workplaceId,
        doctorId: invite.doctorId,
      } as AssistantAssignment);
      await tx.flush();
      await careChangedForWorkplace(tx, invite.workplaceId, user.id, true);
    }
    return tx.findOneOrFail(AssistantInvite, { id: invite.id }, { refresh: true });
  });
}

/**
 * Doctor: withdraws one of their invites while it is PENDING and unexpired. A conditional update
 * decides a race with the assistant's answer; the invitee is told (`assistant.invite_revoked`)
 * in the same transaction.
 */
export async function revokeInvite(ctx: DoctorSubgraphContext, inviteId: string): Promise<AssistantInvite> {
  const doctor = await requireMyDoctor(ctx);
  const em = ctx.em.fork();
  return em.transactional(async (tx) => {
    const invite = await tx.findOne(AssistantInvite, { id: inviteId, doctorId: doctor.id });
    if (!invite) throw new NotFoundError('Invite');
    const changed = await tx.nativeUpdate(
      AssistantInvite,
      { id: invite.id, status: InviteStatus.PENDING, expiresAt: { $gt: new Date() } },
      { status: InviteStatus.REVOKED, respondedAt: new Date() },
    );
    if (changed === 0) {
      const status = effectiveStatus(invite);
      throw new ConflictError(
        status === InviteStatus.EXPIRED ? 'This invite has expired' : `This invite is already ${status}`,
        status === InviteStatus.EXPIRED ? 'INVITE_EXPIRED' : 'INVITE_NOT_PENDING',
      );
    }
    // An invite to an email with no assistant account was never shown to anyone: nobody to tell.
    if (invite.assistantId) {
      const wp = await tx.findOne(Workplace, { id: invite.workplaceId });
      outbox.notify(tx, {
        idempotencyKey: `assistant-invite:${invite.id}:revoked`,
        userId: invite.assistantId,
        template: 'assistant.invite_revoked',
        variables: { doctorName: doctor.name ?? '', workplaceName: wp?.name ?? '' },
      });
    }
    return tx.findOneOrFail(AssistantInvite, { id: invite.id }, { refresh: true });
  });
}

/** Doctor: ends an assignment at one of their workplaces; the assistant's care state is withdrawn in the same transaction. */
export async function revokeAssistant(ctx: DoctorSubgraphContext, assignmentId: string): Promise<boolean> {
  const doctor = await requireMyDoctor(ctx);
  const em = ctx.em.fork();
  return em.transactional(async (tx) => {
    const assignment = await tx.findOne(AssistantAssignment, { id: assignmentId, doctorId: doctor.id });
    if (!assignment) throw new NotFoundError('Assignment');
    const changed = await tx.nativeUpdate(AssistantAssignment, { id: assignment.id, revokedAt: null }, { revokedAt: new Date() });
    if (changed === 0) throw new ConflictError('This assignment is already revoked', 'ALREADY_REVOKED');
    await careChangedForWorkplace(tx, assignment.workplaceId, assignment.assistantId);
    return true;
  });
}

/** Doctor: invites sent; assistant: invites received (newest first, at most 500). */
export async function listAssistantInvites(ctx: DoctorSubgraphContext, status?: InviteStatus): Promise<AssistantInvite[]> {
  const user = requireUser(ctx.auth);
  const where = user.role === 'DOCTOR' ? { doctorId: (await requireMyDoctor(ctx)).id } : { assistantId: user.id };
  const invites = await ctx.em.find(AssistantInvite, where, { orderBy: { createdAt: 'desc' }, limit: 500 });
  return status ? invites.filter((i) => effectiveStatus(i) === status) : invites;
}

/** Doctor: current assignments across their workplaces. */
export async function listMyAssistants(ctx: DoctorSubgraphContext): Promise<AssistantAssignment[]> {
  const doctor = await requireMyDoctor(ctx);
  return ctx.em.find(AssistantAssignment, { doctorId: doctor.id, revokedAt: null }, { orderBy: { assignedAt: 'asc' } });
}

/** Assistant: assigned workplaces and their doctors, today's appointments there, pending invites. */
export async function assistantDashboard(ctx: DoctorSubgraphContext): Promise<{
  doctors: Doctor[];
  workplaces: Workplace[];
  todaysAppointments: Appointment[];
  pendingInvites: AssistantInvite[];
}> {
  const user = requireUser(ctx.auth);
  const workplaceIds = [...(await myAssignedWorkplaceIds(ctx))];
  const [workplaces, invites] = await Promise.all([
    workplaceIds.length ? ctx.em.find(Workplace, { id: { $in: workplaceIds } }) : Promise.resolve([]),
    ctx.em.find(AssistantInvite, { assistantId: user.id, status: InviteStatus.PENDING, expiresAt: { $gt: new Date() } }),
  ]);
  const doctors = workplaces.length
    ? await ctx.em.find(Doctor, { id: { $in: [...new Set(workplaces.map((w) => w.doctorId))] } })
    : [];
  // "Today" is each workplace's own local day.
  const todays = workplaces.length
    ? await ctx.em.find(
        Appointment,
        {
          $or: workplaces.map((w) => {
            const day = DateTime.now().setZone(w.timeZone);
            return {
              workplaceId: w.id,
              startsAt: { $gte: day.startOf('day').toJSDate(), $lt: day.endOf('day').toJSDate() },
            };
          }),
          // Waitlist slot holds (HELD) are no appointments.
          status: { $nin: [AppointmentStatus.CANCELLED, HELD as AppointmentStatus] },
        },
        { orderBy: { startsAt: 'asc' } },
      )
    : [];
  return { doctors, workplaces, todaysAppointments: todays, pendingInvites: invites };
}
