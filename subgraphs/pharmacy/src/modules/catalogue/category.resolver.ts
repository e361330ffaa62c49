import { Arg, Authorized, Ctx, Mutation, Query, Resolver } from 'type-graphql';
import { BadUserInputError } from '@hc/graphql';
import { Category } from './category.entity.js';
import type { PharmacySubgraphContext } from '../../context.js';

@Resolver(() => Category)
export class CategoryResolver {
  @Query(() => [Category], { description: 'Public: active product categories.' })
  categories(@Ctx() ctx: PharmacySubgraphContext): Promise<Category[]> {
    return ctx.em.find(Category, { isActive: true }, { orderBy: { name: 'asc' } });
  }

  @Authorized('ADMIN')
  @Mutation(() => Category, { description: 'Admin: a new product category (names are unique).' })
  async createCategory(
    @Arg('name', () => String) name: string,
    @Ctx() ctx: PharmacySubgraphContext,
    @Arg('description', () => String, { nullable: true }) description?: string,
  ): Promise<Category> {
    const trimmed = name.trim();
    if (trimmed.length < 1 || trimmed.length > 100) throw BadUserInputError.field('name', 'name must be 1 to 100 characters');
    const category = Object.assign(new Category(), { name: trimmed, description: description ?? null });
    await ctx.em.persist(category).flush();
    return category;
  }
}
