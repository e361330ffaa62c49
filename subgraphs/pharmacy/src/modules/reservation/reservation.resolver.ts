import { Arg, Authorized, Ctx, FieldResolver, ID, Mutation, Resolver, Root } from 'type-graphql';
import { Reservation, ReservationStatus } from './reservation.entity.js';
import { cancelReservation, effectiveStatus, reserveItems } from './reservation.service.js';
import { ReserveInput } from '../order/order.inputs.js';
import { OrderItem } from '../order/order.entity.js';
import { PharmacyBranch } from '../pharmacy/branch.entity.js';
import { UserRef, userRef } from '../user/user.reference.js';
import { PrescriptionRef, prescriptionRef } from '../prescription/prescription.types.js';
import { load } from '../loaders.js';
import type { PharmacySubgraphContext } from '../../context.js';

@Resolver(() => Reservation)
export class ReservationResolver {
  @Authorized('PATIENT')
  @Mutation(() => Reservation, { description: 'Patient: holds stock at one branch for RESERVATION_TTL_MINUTES (default 2 h).' })
  reserveItems(@Arg('input', () => ReserveInput) input: ReserveInput, @Ctx() ctx: PharmacySubgraphContext): Promise<Reservation> {
    return reserveItems(ctx, input);
  }

  @Authorized()
  @Mutation(() => Reservation, { description: "The patient or the branch's pharmacy: releases an active hold." })
  cancelReservation(@Arg('id', () => ID) id: string, @Ctx() ctx: PharmacySubgraphContext): Promise<Reservation> {
    return cancelReservation(ctx, id);
  }

  @FieldResolver(() => ReservationStatus, {
    description: 'EXPIRED as soon as expiresAt passes, even before the expiry job runs.',
  })
  status(@Root() r: Reservation): ReservationStatus {
    return effectiveStatus(r);
  }

  @FieldResolver(() => PrescriptionRef, {
    nullable: true,
    description: 'The prescription its prescription-only lines were dispensed against.',
  })
  prescription(@Root() r: Reservation): PrescriptionRef | null {
    return r.prescriptionId ? prescriptionRef(r.prescriptionId) : null;
  }

  @FieldResolver(() => UserRef)
  patient(@Root() r: Reservation): UserRef {
    return userRef(r.patientId);
  }

  @FieldResolver(() => PharmacyBranch)
  async branch(@Root() r: Reservation, @Ctx() ctx: PharmacySubgraphContext): Promise<PharmacyBranch> {
    return (await load.branch(ctx, r.branchId))!;
  }

  @FieldResolver(() => [OrderItem])
  items(@Root() r: Reservation, @Ctx() ctx: PharmacySubgraphContext): Promise<OrderItem[]> {
    return load.reservationItems(ctx, r.id);
  }
}
