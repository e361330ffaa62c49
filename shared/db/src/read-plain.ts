import type { EntityClass, FilterQuery, QueryOrderMap } from '@mikro-orm/core';
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
