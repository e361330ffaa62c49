import { readPlainPage } from '@hc/db';
import { BadUserInputError, ForbiddenError, NotFoundError, pageSize, requireUser, toConnection } from '@hc/graphql';
import { sqlRunner } from '../sql.js';
import { Item, type ItemConnection } from './item.entity.js';
import { Category } from './category.entity.js';
import type { ItemInput } from './item.inputs.js';
import type { PharmacySubgraphContext } from '../../context.js';

async function applyInput(ctx: PharmacySubgraphContext, item: Item, input: ItemInput): Promise<void> {
  if (input.categoryId && input.categoryId !== item.categoryId) {
    const category = await ctx.em.findOne(Category, { id: input.categoryId });
    if (!category) throw BadUserInputError.field('categoryId', 'Unknown category');
    if (!category.isActive) throw BadUserInputError.field('categoryId', 'This category is inactive');
  }
  Object.assign(item, {
    categoryId: input.categoryId ?? null,
    name: input.name.trim(),
    manufacturer: input.manufacturer ?? null,
    description: input.description ?? null,
    imageUrl: input.imageUrl ?? null,
    isMedicine: !!input.medicine,
    dosage: input.medicine?.dosage ?? null,
    form: input.medicine?.form ?? null,
    prescriptionRequired: input.medicine?.prescriptionRequired ?? false,
    sideEffects: input.medicine?.sideEffects ?? null,
  });
}

/** A new catalogue product; its creator (with admins) may later update it. */
export async function createItem(ctx: PharmacySubgraphContext, input: ItemInput): Promise<Item> {
  const item = new Item();
  item.createdBy = requireUser(ctx.auth).id;
  await applyInput(ctx, item, input);
  await ctx.em.persist(item).flush();
  return item;
}

/** Whether another pharmacy stocks the item or a prescription names it. */
async function usedByOthers(ctx: PharmacySubgraphContext, itemId: string, ownerId: string): Promise<boolean> {
  const [row] = await sqlRunner(ctx.em)<{ used: boolean }>(
    `select exists (select 1 from stock_entries s join pharmacy_branches b on b.id = s.branch_id
                      join pharmacies p on p.id = b.pharmacy_id where s.item_id = ? and p.owner_id <> ?)
         or exists (select 1 from prescription_lines where item_id = ?) as used`,
    [itemId, ownerId, itemId],
  );
  return row.used;
}

/**
 * Replaces a product's details: its creator or an admin (NOT_FOUND for anyone else). The
 * catalogue is shared: once another pharmacy stocks the item or a prescription names it, its
 * name and prescription-required flag are the admins' to change (FORBIDDEN for the creator).
 */
export async function updateItem(ctx: PharmacySubgraphContext, id: string, input: ItemInput): Promise<Item> {
  const user = requireUser(ctx.auth);
  const item = await ctx.em.findOne(Item, { id });
  if (!item || (item.createdBy !== user.id && user.role !== 'ADMIN')) throw new NotFoundError('Item');
  const shared = input.name.trim() !== item.name || (input.medicine?.prescriptionRequired ?? false) !== item.prescriptionRequired;
  if (user.role !== 'ADMIN' && shared && (await usedByOthers(ctx, item.id, user.id))) {
    throw new ForbiddenError('Other pharmacies use this item: only an admin may change its name or prescription requirement');
  }
  await applyInput(ctx, item, input);
  await ctx.em.flush();
  return item;
}

/** Public: products that need no prescription, oldest first; an inactive category lists nothing (admins still see it). */
export async function products(
  ctx: PharmacySubgraphContext,
  categoryId: string | null | undefined,
  first: number | null | undefined,
  after: string | null | undefined,
): Promise<ItemConnection> {
  if (categoryId && ctx.auth.user?.role !== 'ADMIN') {
    const category = await ctx.em.findOne(Category, { id: categoryId });
    if (category && !category.isActive) return { nodes: [], totalCount: 0, pageInfo: { endCursor: null, hasNextPage: false } };
  }
  // Read-only page: plain rows (readPlainPage), the same SQL and cursors as em.findByCursor.
  const cursor = await readPlainPage(ctx.em, Item, {
    where: { prescriptionRequired: false, ...(categoryId ? { categoryId } : {}) },
    first: pageSize(first),
    after: after ?? undefined,
    orderBy: { createdAt: 'asc', id: 'asc' },
  });
  return toConnection(cursor);
}
