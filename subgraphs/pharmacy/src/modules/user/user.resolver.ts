import { Arg, Ctx, FieldResolver, Int, Resolver, Root } from 'type-graphql';
import { ForbiddenError } from '@hc/graphql';
import { UserRef } from './user.reference.js';
import { ordersOf } from '../order/order.service.js';
import { OrderConnection, OrderStatus } from '../order/order.entity.js';
import { load } from '../loaders.js';
import { Reservation } from '../reservation/reservation.entity.js';
import type { PharmacySubgraphContext } from '../../context.js';

/** Orders and reservations are the patient's own business: the user themself and admins only. */
function requireSelfOrAdmin(ctx: PharmacySubgraphContext, userId: string): void {
  const caller = ctx.auth.user;
  if (!caller || (caller.id !== userId && caller.role !== 'ADMIN')) {
    throw new ForbiddenError("Only the user and admins see a user's orders and reservations");
  }
}

@Resolver(() => UserRef)
export class UserOrdersResolver {
  @FieldResolver(() => OrderConnection, { description: 'The user themself and admins.' })
  orders(
    @Root() user: UserRef,
    @Ctx() ctx: PharmacySubgraphContext,
    @Arg('status', () => OrderStatus, { nullable: true }) status?: OrderStatus,
    @Arg('first', () => Int, { nullable: true, defaultValue: 20 }) first?: number,
    @Arg('after', () => String, { nullable: true }) after?: string,
  ): Promise<OrderConnection> {
    requireSelfOrAdmin(ctx, user.id);
    return ordersOf(ctx, { patientId: user.id }, status, first, after);
  }

  @FieldResolver(() => [Reservation], { description: 'The user themself and admins; newest first.' })
  reservations(@Root() user: UserRef, @Ctx() ctx: PharmacySubgraphContext): Promise<Reservation[]> {
    requireSelfOrAdmin(ctx, user.id);
    return load.reservationsOf(ctx, user.id);
  }
}
