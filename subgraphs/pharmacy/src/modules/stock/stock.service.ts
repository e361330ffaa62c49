import { BadUserInputError, ForbiddenError, offsetCursor, pageSize } from '@hc/graphql';
import { StockEntry } from './stock.entity.js';
import type { StockInput } from './stock.inputs.js';
import { ownedBranch } from '../pharmacy/access.js';
import type { PharmacyBranch } from '../pharmacy/branch.entity.js';
import { Item } from '../catalogue/item.entity.js';
import { load } from '../loaders.js';
import { sqlRunner } from '../sql.js';
import type { PharmacySubgraphContext } from '../../context.js';

/** Prices are numeric(12,2): up to 10 digits before the point and 2 after, never negative. */
// Up to 9,999,999.99: an order's total (numeric(12,2)) then cannot overflow for any allowed quantity.
const PRICE_RE = /^\d{1,7}(\.\d{1,2})?$/;

/** "Low" means on-hand quantity below the branch's minimum level. */
export const LOW_SQL = 'quantity < min_stock_level';

export interface StockPage {
  nodes: StockEntry[];
  totalCount: number;
  pageInfo: { endCursor: string | null; hasNextPage: boolean };
}

/** The branch owner (or an admin) sets quantity on hand, price and minimum level in one upsert. */
export async function setStock(ctx: PharmacySubgraphContext, input: StockInput): Promise<StockEntry> {
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

/** Entries of an owned branch below their minimum level, lowest first. */
export async function lowStock(ctx: PharmacySubgraphContext, branchId: string): Promise<StockEntry[]> {
  await ownedBranch(ctx, branchId);
  const rows = await sqlRunner(ctx.em)(
    `select * from stock_entries where branch_id = ? and ${LOW_SQL} order by quantity asc, item_id asc limit 500`,
    [branchId],
  );
  return rows.map((r) => ctx.em.map(StockEntry, r));
}

/** A branch's stock page: the pharmacy's owner and admins only (FORBIDDEN otherwise). */
export async function branchStock(
  ctx: PharmacySubgraphContext,
  branch: PharmacyBranch,
  first: number | null | undefined,
  after: string | null | undefined,
  lowOnly: boolean | null | undefined,
): Promise<StockPage> {
  const user = ctx.auth.user;
  const pharmacy = await load.pharmacy(ctx, branch.pharmacyId);
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

/** What a patient can order now: on hand minus active, unexpired holds. */
export async function availableOf(ctx: PharmacySubgraphContext, s: StockEntry): Promise<number> {
  return Math.max(0, s.quantity - (await load.held(ctx, s.branchId, s.itemId)));
}
