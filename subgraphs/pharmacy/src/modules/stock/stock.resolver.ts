import { Arg, Authorized, Ctx, FieldResolver, ID, Int, Mutation, ObjectType, Query, Resolver, Root } from 'type-graphql';
import { BadUserInputError, Connection, ForbiddenError, offsetCursor, pageSize } from '@hc/graphql';
import { Offer, StockEntry } from './stock.entity.js';
import { StockInput } from './stock.inputs.js';
import { ownedBranch } from '../pharmacy/access.js';
import { PharmacyBranch } from '../pharmacy/branch.entity.js';
import { Pharmacy } from '../pharmacy/pharmacy.entity.js';
import { Item } from '../catalogue/item.entity.js';
import { load } from '../loaders.js';
import { sqlRunner } from '../sql.js';
import type { PharmacySubgraphContext } from '../../context.js';

@ObjectType()
export class StockConnection extends Connection(StockEntry) {}

/** Prices are numeric(12,2): up to 10 digits before the point and 2 after, never negative. */
// Up to 9,999,999.99: an order's total (numeric(12,2)) then cannot overflow for any allowed quantity.
const PRICE_RE = /^\d{1,7}(\.\d{1,2})?$/;

/** "Low" means on-hand quantity below the branch's minimum level. */
export const LOW_SQL = 'quantity < min_stock_level';

@Resolver(() => StockEntry)
export class StockResolver {
  @Authorized('PHARMACY', 'ADMIN')
  @Mutation(() => StockEntry, { description: 'Owner of the branch: sets quantity on hand, price and minimum level.' })
  async setStock(@Arg('input', () => StockInput) input: StockInput, @Ctx() ctx: PharmacySubgraphContext): Promise<StockEntry> {
    await ownedBranch(ctx, input.branchId);
    if (!PRICE_RE.test(input.price)) {
      throw BadUserInputError.field('price', 'price must be a non-negative amount with at most 2 decimals, e.g. "12.50"');
    }
    if (!(await ctx.em.findOne(Item, { id: input.itemId }))) throw BadUserInputError.field('itemId', 'Unknown item');
    const run = sqlRunner(ctx.em);
    // Setting a level below the minimum by hand is not a "sale crossing": the owner already knows.
    const [row] = await run<{ id: string }>(
      `insert into stock_entries (id, branch_id, item_id, quantity, price, min_stock_level, low_notified)
       values (gen_random_uuid(), ?, ?, ?, ?::numeric, coalesce(?::int, 0), ? < coalesce(?::int, 0))
       on conflict (branch_id, item_id) do update set
         quantity = excluded.quantity,
         price = excluded.price,
         min_stock_level = coalesce(?::int, stock_entries.min_stock_level),
         low_notified = excluded.quantity < coalesce(?::int, stock_entries.min_stock_level),
         updated_at = now()
       returning id`,
      [
        input.branchId,
        input.itemId,
        input.quantity,
        input.price,
        input.minStockLevel ?? null,
        input.quantity,
        input.minStockLevel ?? null,
        input.minStockLevel ?? null,
        input.minStockLevel ?? null,
      ],
    );
    ctx.em.clear();
    return ctx.em.findOneOrFail(StockEntry, { id: row.id });
  }

  @Authorized('PHARMACY', 'ADMIN')
  @Query(() => [StockEntry], { description: 'Owner of the branch: entries whose quantity is below their minimum level.' })
  async lowStock(@Arg('branchId', () => ID) branchId: string, @Ctx() ctx: PharmacySubgraphContext): Promise<StockEntry[]> {
    await ownedBranch(ctx, branchId);
    const rows = await sqlRunner(ctx.em)(
      `select * from stock_entries where branch_id = ? and ${LOW_SQL} order by quantity asc, item_id asc limit 500`,
      [branchId],
    );
    return rows.map((r) => ctx.em.map(StockEntry, r));
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
  async available(@Root() s: StockEntry, @Ctx() ctx: PharmacySubgraphContext): Promise<number> {
    return Math.max(0, s.quantity - (await load.held(ctx, s.branchId, s.itemId)));
  }

  @FieldResolver(() => Boolean, { description: 'quantity is below minStockLevel.' })
  isLow(@Root() s: StockEntry): boolean {
    return s.quantity < s.minStockLevel;
  }
}

@Resolver(() => PharmacyBranch)
export class BranchStockResolver {
  @FieldResolver(() => StockConnection, { description: 'The pharmacy owner (and admins) only.' })
  async stock(
    @Root() branch: PharmacyBranch,
    @Ctx() ctx: PharmacySubgraphContext,
    @Arg('first', () => Int, { nullable: true, defaultValue: 20 }) first?: number,
    @Arg('after', () => String, { nullable: true }) after?: string,
    @Arg('lowOnly', () => Boolean, { nullable: true, defaultValue: false }) lowOnly?: boolean,
  ): Promise<StockConnection> {
    const user = ctx.auth.user;
    const pharmacy: Pharmacy | null = await load.pharmacy(ctx, branch.pharmacyId);
    if (!user || (user.role !== 'ADMIN' && pharmacy?.ownerId !== user.id)) {
      throw new ForbiddenError("Only the pharmacy's owner sees its stock");
    }
    const limit = pageSize(first);
    const offset = offsetCursor.decode(after);
    const where = `branch_id = ?${lowOnly ? ` and ${LOW_SQL}` : ''}`;
    const run = sqlRunner(ctx.em);
    const rows = await run(`select * from stock_entries where ${where} order by item_id limit ? offset ?`, [
      branch.id,
      limit + 1,
      offset,
    ]);
    const [{ count }] = await run<{ count: number }>(`select count(*)::int as count from stock_entries where ${where}`, [
      branch.id,
    ]);
    const nodes = rows.slice(0, limit).map((r) => ctx.em.map(StockEntry, r));
    return {
      nodes,
      totalCount: count,
      pageInfo: { endCursor: nodes.length ? offsetCursor.encode(offset + nodes.length) : null, hasNextPage: rows.length > limit },
    };
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
