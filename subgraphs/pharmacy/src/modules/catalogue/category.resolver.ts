import { Arg, Authorized, Ctx, ID, Mutation, Query, Resolver } from 'type-graphql';
import { Category } from './category.entity.js';
import { createCategory, listCategories, setCategoryActive } from './category.service.js';
import type { PharmacySubgraphContext } from '../../context.js';

@Resolver(() => Category)
export class CategoryResolver {
  @Query(() => [Category], { description: 'Public: active product categories; admins may include inactive ones.' })
  categories(
    @Ctx() ctx: PharmacySubgraphContext,
    @Arg('includeInactive', () => Boolean, { nullable: true, defaultValue: false }) includeInactive?: boolean,
  ): Promise<Category[]> {
    return listCategories(ctx, includeInactive ?? false);
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

  @Authorized('ADMIN')
  @Mutation(() => Category, {
    description: 'Admin: hides a category from public listings (categories, products, Item.category); its items stay.',
  })
  deactivateCategory(@Arg('id', () => ID) id: string, @Ctx() ctx: PharmacySubgraphContext): Promise<Category> {
    return setCategoryActive(ctx, id, false);
  }

  @Authorized('ADMIN')
  @Mutation(() => Category, { description: 'Admin: lists a deactivated category again.' })
  activateCategory(@Arg('id', () => ID) id: string, @Ctx() ctx: PharmacySubgraphContext): Promise<Category> {
    return setCategoryActive(ctx, id, true);
  }
}
