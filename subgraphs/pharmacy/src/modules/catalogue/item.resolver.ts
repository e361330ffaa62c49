import { Arg, Authorized, Ctx, FieldResolver, ID, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import { Item, ItemConnection, MedicineInfo } from './item.entity.js';
import { Category } from './category.entity.js';
import { ItemInput } from './item.inputs.js';
import { createItem, products, updateItem } from './item.service.js';
import { visibleCategory } from './category.service.js';
import type { PharmacySubgraphContext } from '../../context.js';

@Resolver(() => Item)
export class ItemResolver {
  @Authorized('PHARMACY', 'ADMIN')
  @Mutation(() => Item, { description: 'Pharmacy or admin: a catalogue product, optionally a medicine.' })
  createItem(@Arg('input', () => ItemInput) input: ItemInput, @Ctx() ctx: PharmacySubgraphContext): Promise<Item> {
    return createItem(ctx, input);
  }

  @Authorized('PHARMACY', 'ADMIN')
  @Mutation(() => Item, { description: 'The creator or an admin: replaces the product details.' })
  updateItem(
    @Arg('id', () => ID) id: string,
    @Arg('input', () => ItemInput) input: ItemInput,
    @Ctx() ctx: PharmacySubgraphContext,
  ): Promise<Item> {
    return updateItem(ctx, id, input);
  }

  @Query(() => ItemConnection, { description: 'Public: products that need no prescription.' })
  products(
    @Ctx() ctx: PharmacySubgraphContext,
    @Arg('categoryId', () => ID, { nullable: true }) categoryId?: string,
    @Arg('first', () => Int, { nullable: true, defaultValue: 20 }) first?: number,
    @Arg('after', () => String, { nullable: true }) after?: string,
  ): Promise<ItemConnection> {
    return products(ctx, categoryId, first, after);
  }

  @FieldResolver(() => Category, { nullable: true })
  category(@Root() item: Item, @Ctx() ctx: PharmacySubgraphContext): Promise<Category | null> | null {
    return item.categoryId ? visibleCategory(ctx, item.categoryId) : null;
  }

  @FieldResolver(() => MedicineInfo, { nullable: true, description: 'Null for non-medicine products.' })
  medicine(@Root() item: Item): MedicineInfo | null {
    if (!item.isMedicine) return null;
    return {
      dosage: item.dosage ?? null,
      form: item.form ?? null,
      prescriptionRequired: item.prescriptionRequired,
      sideEffects: item.sideEffects ?? null,
    };
  }
}
