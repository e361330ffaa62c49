import { Arg, Authorized, Ctx, FieldResolver, ID, Int, Mutation, ObjectType, Query, Resolver, Root } from 'type-graphql';
import {
  Address,
  ConflictError,
  Connection,
  NotFoundError,
  byKeys,
  loader,
  pageSize,
  requireUser,
  toConnection,
} from '@hc/graphql';
import { Delivery, Order, OrderItem, OrderStatus } from './order.entity.js';
import { PlaceOrderInput } from './order.inputs.js';
import { CANCELLABLE_BY_PATIENT, CANCELLABLE_BY_PHARMACY, NEXT_STATUS, placeOrder, transition } from './order.service.js';
import { validateLines } from '../stock/claim.js';
import { myPharmacy } from '../pharmacy/access.js';
import { Pharmacy } from '../pharmacy/pharmacy.entity.js';
import { PharmacyBranch } from '../pharmacy/branch.entity.js';
import { Item } from '../catalogue/item.entity.js';
import { UserRef, userRef } from '../user/user.reference.js';
import { load } from '../loaders.js';
import type { PharmacySubgraphContext } from '../../context.js';

@ObjectType()
export class OrderConnection extends Connection(Order) {}

/** The patient, the owner of the order's pharmacy, and admins; nobody else learns the order exists. */
export async function canSeeOrder(ctx: PharmacySubgraphContext, order: Order): Promise<boolean> {
  const user = ctx.auth.user;
  if (!user) return false;
  if (user.role === 'ADMIN' || order.patientId === user.id) return true;
  return (await myPharmacy(ctx))?.id === order.pharmacyId;
}

async function visibleOrder(ctx: PharmacySubgraphContext, id: string): Promise<Order> {
  const order = await ctx.em.findOne(Order, { id });
  if (!order || !(await canSeeOrder(ctx, order))) throw new NotFoundError('Order');
  return order;
}

async function reload(ctx: PharmacySubgraphContext, id: string): Promise<Order> {
  ctx.em.clear();
  return ctx.em.findOneOrFail(Order, { id });
}

export async function ordersOf(
  ctx: PharmacySubgraphContext,
  where: Record<string, unknown>,
  status: OrderStatus | null | undefined,
  first: number | null | undefined,
  after: string | null | undefined,
): Promise<OrderConnection> {
  const cursor = await ctx.em.findByCursor(Order, {
    where: { ...where, ...(status ? { status } : {}) },
    first: pageSize(first),
    after: after ?? undefined,
    orderBy: { orderDate: 'desc', id: 'desc' },
  });
  return toConnection(cursor);
}

@Resolver(() => Order)
export class OrderResolver {
  @Authorized('PATIENT')
  @Mutation(() => Order, { description: 'Patient: all lines from one branch; stock is taken atomically or not at all.' })
  async placeOrder(
    @Arg('input', () => PlaceOrderInput) input: PlaceOrderInput,
    @Ctx() ctx: PharmacySubgraphContext,
  ): Promise<Order> {
    const user = requireUser(ctx.auth);
    validateLines(input.items);
    const id = await placeOrder(ctx.em, user.id, input);
    return reload(ctx, id);
  }

  @Authorized('PHARMACY', 'ADMIN')
  @Mutation(() => Order, {
    description: 'Pharmacy owner: PENDING → CONFIRMED → PREPARING → OUT_FOR_DELIVERY → DELIVERED, or CANCELLED.',
  })
  async updateOrderStatus(
    @Arg('id', () => ID) id: string,
    @Arg('status', () => OrderStatus) status: OrderStatus,
    @Ctx() ctx: PharmacySubgraphContext,
  ): Promise<Order> {
    const order = await visibleOrder(ctx, id);
    const user = requireUser(ctx.auth);
    if (user.role !== 'ADMIN' && (await myPharmacy(ctx))?.id !== order.pharmacyId) throw new NotFoundError('Order');
    const from =
      status === OrderStatus.CANCELLED
        ? CANCELLABLE_BY_PHARMACY
        : (Object.entries(NEXT_STATUS)
            .filter(([, to]) => to === status)
            .map(([f]) => f) as OrderStatus[]);
    if (from.length === 0 || !(await transition(ctx.em, id, from, status))) {
      const current = await reload(ctx, id);
      throw new ConflictError(`An order cannot go from ${current.status} to ${status}`, 'INVALID_STATUS_TRANSITION');
    }
    return reload(ctx, id);
  }

  @Authorized()
  @Mutation(() => Order, {
    description: 'The patient while PENDING, or the pharmacy before OUT_FOR_DELIVERY; restores stock once.',
  })
  async cancelOrder(@Arg('id', () => ID) id: string, @Ctx() ctx: PharmacySubgraphContext): Promise<Order> {
    const order = await visibleOrder(ctx, id);
    const user = requireUser(ctx.auth);
    const ownsPharmacy = user.role === 'ADMIN' || (await myPharmacy(ctx))?.id === order.pharmacyId;
    const from = ownsPharmacy ? CANCELLABLE_BY_PHARMACY : CANCELLABLE_BY_PATIENT;
    if (!(await transition(ctx.em, id, from, OrderStatus.CANCELLED))) {
      const current = await reload(ctx, id);
      throw new ConflictError(`An order that is ${current.status} can no longer be cancelled`, 'INVALID_STATUS_TRANSITION');
    }
    return reload(ctx, id);
  }

  @Authorized()
  @Query(() => OrderConnection, { description: "Patient: the caller's own orders, newest first." })
  myOrders(
    @Ctx() ctx: PharmacySubgraphContext,
    @Arg('status', () => OrderStatus, { nullable: true }) status?: OrderStatus,
    @Arg('first', () => Int, { nullable: true, defaultValue: 20 }) first?: number,
    @Arg('after', () => String, { nullable: true }) after?: string,
  ): Promise<OrderConnection> {
    return ordersOf(ctx, { patientId: requireUser(ctx.auth).id }, status, first, after);
  }

  @Authorized('PHARMACY')
  @Query(() => OrderConnection, { description: "Pharmacy owner: orders of the caller's pharmacy, newest first." })
  async pharmacyOrders(
    @Ctx() ctx: PharmacySubgraphContext,
    @Arg('status', () => OrderStatus, { nullable: true }) status?: OrderStatus,
    @Arg('first', () => Int, { nullable: true, defaultValue: 20 }) first?: number,
    @Arg('after', () => String, { nullable: true }) after?: string,
  ): Promise<OrderConnection> {
    const pharmacy = await myPharmacy(ctx);
    if (!pharmacy) {
      pageSize(first);
      return { nodes: [], totalCount: 0, pageInfo: { endCursor: null, hasNextPage: false } };
    }
    return ordersOf(ctx, { pharmacyId: pharmacy.id }, status, first, after);
  }

  @FieldResolver(() => UserRef)
  patient(@Root() order: Order): UserRef {
    return userRef(order.patientId);
  }

  @FieldResolver(() => Pharmacy)
  async pharmacy(@Root() order: Order, @Ctx() ctx: PharmacySubgraphContext): Promise<Pharmacy> {
    return (await load.pharmacy(ctx, order.pharmacyId))!;
  }

  @FieldResolver(() => PharmacyBranch)
  async branch(@Root() order: Order, @Ctx() ctx: PharmacySubgraphContext): Promise<PharmacyBranch> {
    return (await load.branch(ctx, order.branchId))!;
  }

  @FieldResolver(() => [OrderItem])
  items(@Root() order: Order, @Ctx() ctx: PharmacySubgraphContext): Promise<OrderItem[]> {
    return load.orderItems(ctx, order.id);
  }

  @FieldResolver(() => Delivery, { nullable: true, description: 'Exists from OUT_FOR_DELIVERY, with a tracking number.' })
  delivery(@Root() order: Order, @Ctx() ctx: PharmacySubgraphContext): Promise<Delivery | null> {
    return load.delivery(ctx, order.id);
  }

  @FieldResolver(() => Address, { nullable: true, description: 'Where the order goes, as copied at placement.' })
  deliveryAddress(@Root() order: Order): Address | null {
    return (order.deliveryAddress as Address | null) ?? null;
  }
}

@Resolver(() => OrderItem)
export class OrderItemResolver {
  @FieldResolver(() => Item)
  async item(@Root() line: OrderItem, @Ctx() ctx: PharmacySubgraphContext): Promise<Item> {
    return (await load.item(ctx, line.itemId))!;
  }
}

@Resolver(() => Delivery)
export class DeliveryResolver {
  @FieldResolver(() => Address, { nullable: true })
  address(@Root() delivery: Delivery): Address | null {
    return (delivery.address as Address | null) ?? null;
  }
}

/** Order references from other subgraphs honour the same visibility (null when hidden). */
export const orderReference = {
  Order: {
    __resolveReference: async (ref: { id: string }, ctx: PharmacySubgraphContext) => {
      const order = await loader<string, Order | null>(ctx, orderReference, async (ids) =>
        byKeys(ids, await ctx.em.find(Order, { id: { $in: [...ids] } }), (o) => o.id),
      ).load(ref.id);
      return order && (await canSeeOrder(ctx, order)) ? order : null;
    },
  },
};
