import { BadUserInputError } from '@hc/graphql';
import { Category } from './category.entity.js';
import type { PharmacySubgraphContext } from '../../context.js';

export function activeCategories(ctx: PharmacySubgraphContext): Promise<Category[]> {
  return ctx.em.find(Category, { isActive: true }, { orderBy: { name: 'asc' } });
}

/** Names are unique (the unique key answers CONFLICT). */
export async function createCategory(ctx: PharmacySubgraphContext, name: string, description?: string | null): Promise<Category> {
  const trimmed = name.trim();
  if (trimmed.length < 1 || trimmed.length > 100) throw BadUserInputError.field('name', 'name must be 1 to 100 characters');
  const category = Object.assign(new Category(), { name: trimmed, description: description ?? null });
  await ctx.em.persist(category).flush();
  return category;
}
