import { ForbiddenError } from '@hc/graphql';
import { ordersOf } from '../order/order.service.js';
import type { OrderConnection, OrderStatus } from '../order/order.entity.js';
import type { Reservation } from '../reservation/reservation.entity.js';
import { load } from '../loaders.js';
import type { PharmacySubgraphContext } from '../../context.js';

/** Orders and reservations are the patient's own business: the user themself and admins only. */
function requireSelfOrAdmin(ctx: PharmacySubgraphContext, userId: string): void {
  const caller = ctx.auth.user;
  if (!caller || (caller.id !== userId && caller.role !== 'ADMIN')) {
    throw new ForbiddenError("Only the user and admins see a user's orders and reservations");
  }
}

/** A user's orders, newest first: the user and admins (FORBIDDEN otherwise). */
export async function ordersOfUser(
  ctx: PharmacySubgraphContext,
  userId: string,
  status: OrderStatus | null | undefined,
  first: number | null | undefined,
  after: string | null | undefined,
): Promise<OrderConnection> {
  requireSelfOrAdmin(ctx, userId);
  return ordersOf(ctx, { patientId: userId }, status, first, after);
}

/** A user's reservations, newest first: the user and admins (FORBIDDEN otherwise). */
export async function reservationsOfUser(ctx: PharmacySubgraphContext, userId: string): Promise<Reservation[]> {
  requireSelfOrAdmin(ctx, userId);
  return load.reservationsOf(ctx, userId);
}
