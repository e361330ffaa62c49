import { Field, ObjectType } from 'type-graphql';
import { BadUserInputError, byKeys, pageSize } from '@hc/graphql';
import { Pharmacy } from '../pharmacy/pharmacy.entity.js';
import { Offer } from '../stock/stock.entity.js';
import { sqlRunner, type Run } from '../sql.js';
import type { PharmacySubgraphContext } from '../../context.js';

@ObjectType()
export class SearchResult {
  @Field(() => [Pharmacy]) pharmacies!: Pharmacy[];
  @Field(() => [Offer]) products!: Offer[];
}

const MAX_WORDS = 6;
/** Candidates within this similarity of the best correction of a word are kept ("ibuprofn" → ibuprofen). */
const SIMILARITY_SLACK = 0.1;

/** Lower-cased alphanumeric words of the query, as the vocabulary trigger splits item names. */
export function queryWords(query: string): string[] {
  const words = query
    .toLowerCase()
    .split(/[^\p{L}\p{N}]+/u)
    .filter((w) => w.length >= 2);
  return [...new Set(words)].slice(0, MAX_WORDS);
}

/**
 * Corrects each query word against the item-name vocabulary (pg_trgm word similarity on the
 * small item_words table: typos and words still being typed, "paracetmol", "amoxi") and returns
 * a tsquery that requires every correctable word: `('paracetamol') & ('500')`. Null when nothing
 * matches.
 */
async function correctedQuery(run: Run, words: string[]): Promise<string | null> {
  if (words.length === 0) return null;
  const rows = await run<{ qw: string; word: string; sim: number }>(
    `select q.w as qw, v.word, v.sim from unnest(?::text[]) as q(w)
       cross join lateral (
         select word, word_similarity(q.w, word) as sim from item_words
          where q.w <% word
          order by word_similarity(q.w, word) desc, similarity(q.w, word) desc, word limit 8
       ) v`,
    [`{${words.map((w) => `"${w}"`).join(',')}}`],
  );
  const groups: string[] = [];
  for (const w of words) {
    const cands = rows.filter((r) => r.qw === w);
    if (cands.length === 0) continue;
    const best = Math.max(...cands.map((c) => c.sim));
    const keep = cands.filter((c) => c.sim >= best - SIMILARITY_SLACK);
    // Vocabulary words are alphanumeric (split by the trigger), so quoting is enough.
    groups.push(`(${keep.map((c) => `'${c.word}'`).join(' | ')})`);
  }
  return groups.length ? groups.join(' & ') : null;
}

/**
 * Pharmacies whose name matches `query` and in-stock offers of items whose name matches it
 * (words corrected against the vocabulary), optionally in one city; best match first.
 */
export async function search(
  ctx: PharmacySubgraphContext,
  query: string,
  city: string | null | undefined,
  first: number | null | undefined,
): Promise<SearchResult> {
  const q = query.trim();
  if (q.length < 2 || q.length > 100) throw BadUserInputError.field('query', 'query must be 2 to 100 characters');
  const limit = pageSize(first);
  const c = city?.trim() || null;
  const run = sqlRunner(ctx.em);
  const [pharmacyRows, tsquery] = await Promise.all([
    // Pharmacy names are few: trigram word similarity on the name itself (GIN pharmacies_name_trgm).
    run<{ id: string }>(
      `select p.id from pharmacies p
        where ? <% p.name and p.verification_status = 'APPROVED'
          and (?::text is null or exists (select 1 from pharmacy_branches b where b.pharmacy_id = p.id and lower(b.city) = lower(?)))
        order by word_similarity(?, p.name) desc, p.name asc limit ?`,
      [q, c, c, q, limit],
    ),
    correctedQuery(run, queryWords(q)),
  ]);
  const products = tsquery
    ? await run<Offer>(
        `with m as materialized (
           select id, ts_rank(search, to_tsquery('simple', ?)) as rank from items where search @@ to_tsquery('simple', ?)
         )
         select s.item_id as "itemId", s.branch_id as "branchId", s.price::text as price,
                (s.quantity - coalesce(h.held, 0))::int as available
           from m
           join stock_entries s on s.item_id = m.id and s.quantity > 0
           join pharmacy_branches b on b.id = s.branch_id
           join pharmacies p on p.id = b.pharmacy_id and p.verification_status = 'APPROVED'
           left join lateral (
             select sum(ri.quantity) as held from reservation_items ri join reservations r on r.id = ri.reservation_id
              where r.branch_id = s.branch_id and ri.item_id = s.item_id and r.status = 'ACTIVE' and r.expires_at > now()
           ) h on true
          where (?::text is null or lower(b.city) = lower(?))
            and s.quantity - coalesce(h.held, 0) > 0
          order by m.rank desc, s.price asc, s.item_id, s.branch_id
          limit ?`,
        [tsquery, tsquery, c, c, limit],
      )
    : [];
  const ids = pharmacyRows.map((r) => r.id);
  const found = ids.length ? await ctx.em.find(Pharmacy, { id: { $in: ids } }) : [];
  const pharmacies = byKeys(ids, found, (p) => p.id).filter((p): p is Pharmacy => p !== null);
  return { pharmacies, products: products.map((p) => Object.assign(new Offer(), p)) };
}
