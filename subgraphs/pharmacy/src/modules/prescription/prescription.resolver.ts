import { Ctx, FieldResolver, Resolver, Root } from 'type-graphql';
import { Dispense, PrescriptionBalance, PrescriptionFulfilment, PrescriptionRef } from './prescription.types.js';
import { dispenseOrder, dispenseReservation, fulfilment } from './prescription.service.js';
import { Order } from '../order/order.entity.js';
import { Reservation } from '../reservation/reservation.entity.js';
import { PharmacyBranch } from '../pharmacy/branch.entity.js';
import { Item } from '../catalogue/item.entity.js';
import { load } from '../loaders.js';
import type { PharmacySubgraphContext } from '../../context.js';

@Resolver(() => PrescriptionRef)
export class PrescriptionFulfilmentResolver {
  @FieldResolver(() => PrescriptionFulfilment, {
    description: 'What was dispensed: the patient, the prescriber, admins, and a pharmacy holding an order or reservation on it.',
  })
  fulfilment(@Root() p: PrescriptionRef, @Ctx() ctx: PharmacySubgraphContext): Promise<PrescriptionFulfilment> {
    return fulfilment(ctx, p.id);
  }
}

@Resolver(() => PrescriptionBalance)
export class PrescriptionBalanceResolver {
  @FieldResolver(() => Item)
  async item(@Root() b: PrescriptionBalance, @Ctx() ctx: PharmacySubgraphContext): Promise<Item> {
    return (await load.item(ctx, b.itemId))!;
  }
}

@Resolver(() => Dispense)
export class DispenseResolver {
  @FieldResolver(() => Order, {
    nullable: true,
    description: 'Null for a reservation, or when the caller may not see the order.',
  })
  order(@Root() d: Dispense, @Ctx() ctx: PharmacySubgraphContext): Promise<Order | null> {
    return dispenseOrder(ctx, d);
  }

  @FieldResolver(() => Reservation, { nullable: true, description: 'Null for an order, or when the caller may not see it.' })
  reservation(@Root() d: Dispense, @Ctx() ctx: PharmacySubgraphContext): Promise<Reservation | null> {
    return dispenseReservation(ctx, d);
  }

  @FieldResolver(() => PharmacyBranch)
  async branch(@Root() d: Dispense, @Ctx() ctx: PharmacySubgraphContext): Promise<PharmacyBranch> {
    return (await load.branch(ctx, d.branchId))!;
  }

  @FieldResolver(() => Item)
  async item(@Root() d: Dispense, @Ctx() ctx: PharmacySubgraphContext): Promise<Item> {
    return (await load.item(ctx, d.itemId))!;
  }
}
