import { Arg, Ctx, FieldResolver, Int, Resolver, Root } from 'type-graphql';
import { UserRef } from './user.reference.js';
import { ordersOfUser, reservationsOfUser } from './user.service.js';
import { OrderConnection, OrderStatus } from '../order/order.entity.js';
import { Reservation } from '../reservation/reservation.entity.js';
import type { PharmacySubgraphContext } from '../../context.js';

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
    return ordersOfUser(ctx, user.id, status, first, after);
  }

  @FieldResolver(() => [Reservation], { description: 'The user themself and admins; newest first.' })
  reservations(@Root() user: UserRef, @Ctx() ctx: PharmacySubgraphContext): Promise<Reservation[]> {
    return reservationsOfUser(ctx, user.id);
  }
}
