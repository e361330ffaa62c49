import { Arg, Authorized, Ctx, FieldResolver, ID, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import { Address, requireUser } from '@hc/graphql';
import { Delivery, Order, OrderConnection, OrderItem, OrderStatus } from './order.entity.js';
import { PlaceOrderInput } from './order.inputs.js';
import { markDeliveryFailed, retryDelivery, scheduleDelivery } from './delivery.service.js';
import { cancelOrder, ordersOf, pharmacyOrders, placeOrderAsPatient, updateOrderStatus } from './order.service.js';
import { Pharmacy } from '../pharmacy/pharmacy.entity.js';
import { PharmacyBranch } from '../pharmacy/branch.entity.js';
import { Item } from '../catalogue/item.entity.js';
import { UserRef, userRef } from '../user/user.reference.js';
import { PrescriptionRef, prescriptionRef } from '../prescription/prescription.types.js';
import { load } from '../loaders.js';
import type { PharmacySubgraphContext } from '../../context.js';

@Resolver(() => Order)
export class OrderResolver {
  @Authorized('PATIENT')
  @Mutation(() => Order, { description: 'Patient: all lines from one branch; stock is taken atomically or not at all.' })
  placeOrder(@Arg('input', () => PlaceOrderInput) input: PlaceOrderInput, @Ctx() ctx: PharmacySubgraphContext): Promise<Order> {
    return placeOrderAsPatient(ctx, input);
  }

  @Authorized('PHARMACY', 'ADMIN')
  @Mutation(() => Order, {
    description: 'Pharmacy owner: PENDING → CONFIRMED → PREPARING → OUT_FOR_DELIVERY → DELIVERED, or CANCELLED.',
  })
  updateOrderStatus(
    @Arg('id', () => ID) id: string,
    @Arg('status', () => OrderStatus) status: OrderStatus,
    @Ctx() ctx: PharmacySubgraphContext,
  ): Promise<Order> {
    return updateOrderStatus(ctx, id, status);
  }

  @Authorized()
  @Mutation(() => Order, {
    description: 'The patient while PENDING, or the pharmacy before OUT_FOR_DELIVERY; restores stock once.',
  })
  cancelOrder(@Arg('id', () => ID) id: string, @Ctx() ctx: PharmacySubgraphContext): Promise<Order> {
    return cancelOrder(ctx, id);
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
  pharmacyOrders(
    @Ctx() ctx: PharmacySubgraphContext,
    @Arg('status', () => OrderStatus, { nullable: true }) status?: OrderStatus,
    @Arg('first', () => Int, { nullable: true, defaultValue: 20 }) first?: number,
    @Arg('after', () => String, { nullable: true }) after?: string,
  ): Promise<OrderConnection> {
    return pharmacyOrders(ctx, status, first, after);
  }

  @FieldResolver(() => PrescriptionRef, {
    nullable: true,
    description: 'The prescription its prescription-only lines were dispensed against.',
  })
  prescription(@Root() order: Order): PrescriptionRef | null {
    return order.prescriptionId ? prescriptionRef(order.prescriptionId) : null;
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

  @FieldResolver(() => Delivery, {
    nullable: true,
    description: 'Exists once scheduled (scheduleDelivery) or from OUT_FOR_DELIVERY, with a tracking number.',
  })
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
  @Authorized('PHARMACY', 'ADMIN')
  @Mutation(() => Order, {
    description:
      'Pharmacy owner: schedules the delivery of a CONFIRMED or PREPARING order with a delivery address (delivery SCHEDULED, date in the future, the carrier tracking number unique), or moves a still SCHEDULED one. OUT_FOR_DELIVERY later sets it IN_TRANSIT. The patient is notified.',
  })
  scheduleDelivery(
    @Arg('orderId', () => ID) orderId: string,
    @Arg('date', () => Date) date: Date,
    @Arg('trackingNumber', () => String) trackingNumber: string,
    @Ctx() ctx: PharmacySubgraphContext,
  ): Promise<Order> {
    return scheduleDelivery(ctx, orderId, date, trackingNumber);
  }

  @Authorized('PHARMACY', 'ADMIN')
  @Mutation(() => Order, {
    description:
      'Pharmacy owner: a SCHEDULED or IN_TRANSIT delivery failed (delivery FAILED with the reason; an order OUT_FOR_DELIVERY goes back to PREPARING). The patient is notified.',
  })
  markDeliveryFailed(
    @Arg('orderId', () => ID) orderId: string,
    @Arg('reason', () => String) reason: string,
    @Ctx() ctx: PharmacySubgraphContext,
  ): Promise<Order> {
    return markDeliveryFailed(ctx, orderId, reason);
  }

  @Authorized('PHARMACY', 'ADMIN')
  @Mutation(() => Order, {
    description:
      'Pharmacy owner: schedules a FAILED delivery again (SCHEDULED for date, default now; same tracking number; attempts + 1). The patient is notified.',
  })
  retryDelivery(
    @Arg('orderId', () => ID) orderId: string,
    @Ctx() ctx: PharmacySubgraphContext,
    @Arg('date', () => Date, { nullable: true }) date?: Date,
  ): Promise<Order> {
    return retryDelivery(ctx, orderId, date);
  }

  @FieldResolver(() => Address, { nullable: true })
  address(@Root() delivery: Delivery): Address | null {
    return (delivery.address as Address | null) ?? null;
  }
}
