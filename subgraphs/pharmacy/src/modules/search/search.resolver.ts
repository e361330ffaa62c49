import { Arg, Ctx, Field, Int, ObjectType, Query, Resolver } from 'type-graphql';
import { BadUserInputError, byKeys, pageSize } from '@hc/graphql';
import { Pharmacy } from '../pharmacy/pharmacy.entity.js';
import { Offer } from '../stock/stock.entity.js';
import { likeEscape, sqlRunner } from '../sql.js';
import type { PharmacySubgraphContext } from '../../context.js';

@ObjectType()
export class SearchResult {
  @Field(() => [Pharmacy]) pharmacies!: Pharmacy[];
  @Field(() => [Offer]) products!: Offer[];
}

/**
 * Trigram matching (pg_trgm, GIN indexes on items.name and pharmacies.name): `<%` is word
 * similarity, so "paracetmol" finds "Paracetamol 500 mg"; ILIKE catches short exact fragments
 * that have too few trigrams to score.
 */
const MATCH = (col: string) => `(? <% ${col} or ${col} ilike ?)`;

@Resolver()
export class SearchResolver {
  @Query(() => SearchResult, {
    description: 'Public: pharmacies and in-stock offers matching `query`, typo-tolerant; best match first.',
  })
  async search(
    @Arg('query', () => String) query: string,
    @Ctx() ctx: PharmacySubgraphContext,
    @Arg('city', () => String, { nullable: true }) city?: string,
    @Arg('first', () => Int, { nullable: true, defaultValue: 20 }) first?: number,
  ): Promise<SearchResult> {
    const q = query.trim();
    if (q.length < 2 || q.length > 100) throw BadUserInputError.field('query', 'query must be 2 to 100 characters');
    const limit = pageSize(first);
    const like = `%${likeEscape(q)}%`;
    const c = city?.trim() || null;
    const run = sqlRunner(ctx.em);
    const [pharmacyRows, products] = await Promise.all([
      run<{ id: string }>(
        `select p.id from pharmacies p
          where ${MATCH('p.name')}
            and (?::text is null or exists (select 1 from pharmacy_branches b where b.pharmacy_id = p.id and lower(b.city) = lower(?)))
          order by word_similarity(?, p.name) desc, p.name asc limit ?`,
        [q, like, c, c, q, limit],
      ),
      run<Offer>(
        `select s.item_id as "itemId", s.branch_id as "branchId", s.price::text as price,
                (s.quantity - coalesce(h.held, 0))::int as available
           from items i
           join stock_entries s on s.item_id = i.id and s.quantity > 0
           join pharmacy_branches b on b.id = s.branch_id
           left join lateral (
             select sum(ri.quantity) as held from reservation_items ri join reservations r on r.id = ri.reservation_id
              where r.branch_id = s.branch_id and ri.item_id = s.item_id and r.status = 'ACTIVE' and r.expires_at > now()
           ) h on true
          where ${MATCH('i.name')}
            and (?::text is null or lower(b.city) = lower(?))
            and s.quantity - coalesce(h.held, 0) > 0
          order by word_similarity(?, i.name) desc, s.price asc, s.item_id, s.branch_id
          limit ?`,
        [q, like, c, c, q, limit],
      ),
    ]);
    const ids = pharmacyRows.map((r) => r.id);
    const found = ids.length ? await ctx.em.find(Pharmacy, { id: { $in: ids } }) : [];
    const pharmacies = byKeys(ids, found, (p) => p.id).filter((p): p is Pharmacy => p !== null);
    return { pharmacies, products: products.map((p) => Object.assign(new Offer(), p)) };
  }
}
