import { BadUserInputError, ForbiddenError, NotFoundError } from '@hc/graphql';
import { load } from '../loaders.js';
import { Category } from './category.entity.js';
import type { PharmacySubgraphContext } from '../../context.js';

const isAdmin = (ctx: PharmacySubgraphContext) => ctx.auth.user?.role === 'ADMIN';

/** Public: active categories; admins may ask for inactive ones too (to re-activate them). */
export function listCategories(ctx: PharmacySubgraphContext, includeInactive = false): Promise<Category[]> {
  if (includeInactive && !isAdmin(ctx)) throw new ForbiddenError('Only admins list inactive categories');
  return ctx.em.find(Category, includeInactive ? {} : { isActive: true }, { orderBy: { name: 'asc' } });
}

/** An item's category as the caller may see it: an inactive one is hidden from everyone but admins. */
export async function visibleCategory(ctx: PharmacySubgraphContext, id: string): Promise<Category | null> {
  const category = await load.category(ctx, id);
  return category && (category.isActive || isAdmin(ctx)) ? category : null;
}

/**
 * Admin: hides a category from public listings (`categories`, `products(categoryId)`, `Item.category`)
 * or shows it again. Its items stay in the catalogue; idempotent.
 */
export async function setCategoryActive(ctx: PharmacySubgraphContext, id: string, isActive: boolean): Promise<Category> {
  const category = await ctx.em.findOne(Category, { id });
  if (!category) throw new NotFoundError('Category');
  category.isActive = isActive;
  await ctx.em.flush();
  return category;
}

/** Names are unique (the unique key answers CONFLICT). */
export async function createCategory(ctx: PharmacySubgraphContext, name: string, description?: string | null): Promise<Category> {
  const trimmed = name.trim();
  if (trimmed.length < 1 || trimmed.length > 100) throw BadUserInputError.field('name', 'name must be 1 to 100 characters');
  const category = Object.assign(new Category(), { name: trimmed, description: description ?? null });
  await ctx.em.persist(category).flush();
  return category;
}
