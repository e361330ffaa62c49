import { Arg, Authorized, Ctx, FieldResolver, ID, Mutation, Query, Resolver, Root } from 'type-graphql';
import { WaitlistEntry, WaitlistStatus, effectiveStatus } from './waitlist.entity.js';
import { JoinWaitlistInput } from './waitlist.inputs.js';
import * as waitlist from './waitlist.service.js';
import { Appointment } from '../appointment/appointment.entity.js';
import { Workplace } from '../workplace/workplace.entity.js';
import { Slot } from '../availability/slots.js';
import { UserRef, userRef } from '../user/user.reference.js';
import { requireWorkplace } from '../loaders.js';
import type { DoctorSubgraphContext } from '../../context.js';

@Resolver(() => WaitlistEntry)
export class WaitlistResolver {
  @Query(() => [WaitlistEntry], { description: "Patient: the caller's waitlist entries, newest first." })
  @Authorized()
  myWaitlist(@Ctx() ctx: DoctorSubgraphContext): Promise<WaitlistEntry[]> {
    return waitlist.listMyWaitlist(ctx);
  }

  @Mutation(() => WaitlistEntry, {
    description: 'Patient: wait for any slot of a workplace inside a future window (at most 31 days).',
  })
  @Authorized()
  joinWaitlist(@Arg('input', () => JoinWaitlistInput) input: JoinWaitlistInput, @Ctx() ctx: DoctorSubgraphContext) {
    return waitlist.joinWaitlist(ctx, input);
  }

  @Mutation(() => WaitlistEntry, {
    description: 'Patient: leave an own WAITING or OFFERED entry; an offer moves to the next patient.',
  })
  @Authorized()
  leaveWaitlist(@Arg('id', () => ID) id: string, @Ctx() ctx: DoctorSubgraphContext) {
    return waitlist.leaveWaitlist(ctx, id);
  }

  @Mutation(() => Appointment, { description: 'Patient, while OFFERED and before offerExpiresAt: books the held slot.' })
  @Authorized()
  acceptWaitlistOffer(@Arg('id', () => ID) id: string, @Ctx() ctx: DoctorSubgraphContext) {
    return waitlist.acceptWaitlistOffer(ctx, id);
  }

  @FieldResolver(() => WaitlistStatus)
  status(@Root() e: WaitlistEntry): WaitlistStatus {
    return effectiveStatus(e);
  }

  @FieldResolver(() => Slot, { nullable: true, description: 'Held for this patient alone until offerExpiresAt.' })
  offeredSlot(@Root() e: WaitlistEntry): Slot | null {
    if (effectiveStatus(e) !== WaitlistStatus.OFFERED || !e.offeredStartsAt || !e.offeredEndsAt) return null;
    return { workplaceId: e.workplaceId, startsAt: e.offeredStartsAt, endsAt: e.offeredEndsAt };
  }

  @FieldResolver(() => Date, { nullable: true })
  offerExpiresAt(@Root() e: WaitlistEntry): Date | null {
    return e.offerExpiresAt ?? null;
  }

  @FieldResolver(() => UserRef)
  patient(@Root() e: WaitlistEntry): UserRef {
    return userRef(e.patientId);
  }

  @FieldResolver(() => Workplace)
  workplace(@Root() e: WaitlistEntry, @Ctx() ctx: DoctorSubgraphContext): Promise<Workplace> {
    return requireWorkplace(ctx, e.workplaceId);
  }
}
