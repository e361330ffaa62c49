import { Cursor, type EntityClass, type EntityName, type FilterQuery, type QueryOrderMap } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';

/**
 * Rows of `entity` as plain objects with the entity's property names and JavaScript values, for
 * reads that only answer a query: one statement through the query builder, no entity hydration, no
 * identity map, no change-set snapshot. (`disableIdentityMap` on `em.find` does not save this work:
 * it hydrates into a throw-away fork.) The objects are not managed: never change and flush them —
 * writes load their entity through `em`. They carry data only: no entity methods, and a later
 * `em.findOne` of the same row queries again instead of hitting the identity map.
 *
 * `fields` limits the columns (default: every column of the entity).
 */
export async function readPlain<T extends object>(
  em: EntityManager,
  entity: EntityClass<T>,
  where: FilterQuery<T>,
  options: { orderBy?: QueryOrderMap<T>; fields?: readonly (keyof T & string)[] } = {},
): Promise<T[]> {
  const qb = em.createQueryBuilder(entity);
  // The query builder's typings want a literal field union; our callers pass entity keys.
  qb.select((options.fields ? [...options.fields] : '*') as never).where(where as never);
  if (options.orderBy) qb.orderBy(options.orderBy as never);
  return qb.execute<T[]>('all');
}

/**
 * `em.findByCursor` (first/after, with the total count) returning plain rows, for list answers: the
 * same SQL (the driver builds the keyset condition from `after` and over-fetches one row to know
 * whether a next page exists) and the same opaque cursors, without hydrating entities. Same rules as
 * `readPlain`: the items are read-only data.
 */
export async function readPlainPage<T extends object>(
  em: EntityManager,
  entity: EntityClass<T>,
  options: { where: FilterQuery<T>; orderBy: QueryOrderMap<T>; first: number; after?: string },
): Promise<Cursor<T>> {
  const { where, ...page } = options;
  const findOptions = { ...page, overfetch: true, ctx: em.getTransactionContext(), em } as const;
  const [rows, count] = await Promise.all([
    em.getDriver().find<T>(entity as EntityName<T>, where as never, findOptions as never),
    em.count(entity, where as never),
  ]);
  return new Cursor<T>(rows as never, count, findOptions as never, em.getMetadata().get(entity));
}
