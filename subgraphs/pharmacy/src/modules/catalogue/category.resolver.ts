import { Ctx, Query, Resolver } from 'type-graphql';
import { Category } from './category.entity.js';
import type { PharmacySubgraphContext } from '../../context.js';

@Resolver(() => Category)
export class CategoryResolver {
  @Query(() => [Category], { description: 'Public: active product categories.' })
  categories(@Ctx() ctx: PharmacySubgraphContext): Promise<Category[]> {
    return ctx.em.find(Category, { isActive: true }, { orderBy: { name: 'asc' } });
  }
}
