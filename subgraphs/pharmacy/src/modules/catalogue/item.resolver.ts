import { Arg, Authorized, Ctx, FieldResolver, ID, Int, Mutation, ObjectType, Query, Resolver, Root } from 'type-graphql';
import { BadUserInputError, Connection, NotFoundError, pageSize, requireUser, toConnection } from '@hc/graphql';
import { Item, MedicineInfo } from './item.entity.js';
import { Category } from './category.entity.js';
import { ItemInput } from './item.inputs.js';
import { load } from '../loaders.js';
import type { PharmacySubgraphContext } from '../../context.js';

@ObjectType()
export class ItemConnection extends Connection(Item) {}

async function applyInput(ctx: PharmacySubgraphContext, item: Item, input: ItemInput): Promise<void> {
  if (input.categoryId && !(await ctx.em.findOne(Category, { id: input.categoryId }))) {
    throw BadUserInputError.field('categoryId', 'Unknown category');
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

@Resolver(() => Item)
export class ItemResolver {
  @Authorized('PHARMACY', 'ADMIN')
  @Mutation(() => Item, { description: 'Pharmacy or admin: a catalogue product, optionally a medicine.' })
  async createItem(@Arg('input', () => ItemInput) input: ItemInput, @Ctx() ctx: PharmacySubgraphContext): Promise<Item> {
    const item = new Item();
    item.createdBy = requireUser(ctx.auth).id;
    await applyInput(ctx, item, input);
    await ctx.em.persist(item).flush();
    return item;
  }

  @Authorized('PHARMACY', 'ADMIN')
  @Mutation(() => Item, { description: 'The creator or an admin: replaces the product details.' })
  async updateItem(
    @Arg('id', () => ID) id: string,
    @Arg('input', () => ItemInput) input: ItemInput,
    @Ctx() ctx: PharmacySubgraphContext,
  ): Promise<Item> {
    const user = requireUser(ctx.auth);
    const item = await ctx.em.findOne(Item, { id });
    if (!item || (item.createdBy !== user.id && user.role !== 'ADMIN')) throw new NotFoundError('Item');
    await applyInput(ctx, item, input);
    await ctx.em.flush();
    return item;
  }

  @Query(() => ItemConnection, { description: 'Public: products that need no prescription.' })
  async products(
    @Ctx() ctx: PharmacySubgraphContext,
    @Arg('categoryId', () => ID, { nullable: true }) categoryId?: string,
    @Arg('first', () => Int, { nullable: true, defaultValue: 20 }) first?: number,
    @Arg('after', () => String, { nullable: true }) after?: string,
  ): Promise<ItemConnection> {
    const cursor = await ctx.em.findByCursor(Item, {
      where: { prescriptionRequired: false, ...(categoryId ? { categoryId } : {}) },
      first: pageSize(first),
      after: after ?? undefined,
      orderBy: { createdAt: 'asc', id: 'asc' },
    });
    return toConnection(cursor);
  }

  @FieldResolver(() => Category, { nullable: true })
  category(@Root() item: Item, @Ctx() ctx: PharmacySubgraphContext): Promise<Category | null> | null {
    return item.categoryId ? load.category(ctx, item.categoryId) : null;
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

export const itemReference = {
  Item: { __resolveReference: (ref: { id: string }, ctx: PharmacySubgraphContext) => load.item(ctx, ref.id) },
};
