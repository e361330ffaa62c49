import { Arg, Authorized, Ctx, FieldResolver, ID, Int, Mutation, ObjectType, Query, Resolver, Root } from 'type-graphql';
import { Connection } from '@hc/graphql';
import { Offer, StockEntry } from './stock.entity.js';
import { StockInput } from './stock.inputs.js';
import { availableOf, branchStock, lowStock, setStock } from './stock.service.js';
import { PharmacyBranch } from '../pharmacy/branch.entity.js';
import { Item } from '../catalogue/item.entity.js';
import { load } from '../loaders.js';
import type { PharmacySubgraphContext } from '../../context.js';

@ObjectType()
export class StockConnection extends Connection(StockEntry) {}

@Resolver(() => StockEntry)
export class StockResolver {
  @Authorized('PHARMACY', 'ADMIN')
  @Mutation(() => StockEntry, { description: 'Owner of the branch: sets quantity on hand, price and minimum level.' })
  setStock(@Arg('input', () => StockInput) input: StockInput, @Ctx() ctx: PharmacySubgraphContext): Promise<StockEntry> {
    return setStock(ctx, input);
  }

  @Authorized('PHARMACY', 'ADMIN')
  @Query(() => [StockEntry], { description: 'Owner of the branch: entries whose quantity is below their minimum level.' })
  lowStock(@Arg('branchId', () => ID) branchId: string, @Ctx() ctx: PharmacySubgraphContext): Promise<StockEntry[]> {
    return lowStock(ctx, branchId);
  }

  @FieldResolver(() => PharmacyBranch)
  async branch(@Root() s: StockEntry, @Ctx() ctx: PharmacySubgraphContext): Promise<PharmacyBranch> {
    return (await load.branch(ctx, s.branchId))!;
  }

  @FieldResolver(() => Item)
  async item(@Root() s: StockEntry, @Ctx() ctx: PharmacySubgraphContext): Promise<Item> {
    return (await load.item(ctx, s.itemId))!;
  }

  @FieldResolver(() => Int, { description: 'quantity minus active, unexpired reservations.' })
  available(@Root() s: StockEntry, @Ctx() ctx: PharmacySubgraphContext): Promise<number> {
    return availableOf(ctx, s);
  }

  @FieldResolver(() => Boolean, { description: 'quantity is below minStockLevel.' })
  isLow(@Root() s: StockEntry): boolean {
    return s.quantity < s.minStockLevel;
  }
}

@Resolver(() => PharmacyBranch)
export class BranchStockResolver {
  @FieldResolver(() => StockConnection, { description: 'The pharmacy owner (and admins) only.' })
  stock(
    @Root() branch: PharmacyBranch,
    @Ctx() ctx: PharmacySubgraphContext,
    @Arg('first', () => Int, { nullable: true, defaultValue: 20 }) first?: number,
    @Arg('after', () => String, { nullable: true }) after?: string,
    @Arg('lowOnly', () => Boolean, { nullable: true, defaultValue: false }) lowOnly?: boolean,
  ): Promise<StockConnection> {
    return branchStock(ctx, branch, first, after, lowOnly);
  }
}

@Resolver(() => Offer)
export class OfferResolver {
  @FieldResolver(() => Item)
  async item(@Root() o: Offer, @Ctx() ctx: PharmacySubgraphContext): Promise<Item> {
    return (await load.item(ctx, o.itemId))!;
  }

  @FieldResolver(() => PharmacyBranch)
  async branch(@Root() o: Offer, @Ctx() ctx: PharmacySubgraphContext): Promise<PharmacyBranch> {
    return (await load.branch(ctx, o.branchId))!;
  }
}
