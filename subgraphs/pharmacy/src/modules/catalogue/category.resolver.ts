import { Arg, Authorized, Ctx, Mutation, Query, Resolver } from 'type-graphql';
import { Category } from './category.entity.js';
import { activeCategories, createCategory } from './category.service.js';
import type { PharmacySubgraphContext } from '../../context.js';

@Resolver(() => Category)
export class CategoryResolver {
  @Query(() => [Category], { description: 'Public: active product categories.' })
  categories(@Ctx() ctx: PharmacySubgraphContext): Promise<Category[]> {
    return activeCategories(ctx);
  }

  @Authorized('ADMIN')
  @Mutation(() => Category, { description: 'Admin: a new product category (names are unique).' })
  createCategory(
    @Arg('name', () => String) name: string,
    @Ctx() ctx: PharmacySubgraphContext,
    @Arg('description', () => String, { nullable: true }) description?: string,
  ): Promise<Category> {
    return createCategory(ctx, name, description);
  }
}
