import type { EntityManager } from '@mikro-orm/postgresql';

/**
 * Takes transaction-scoped advisory locks on `keys`, always in sorted order, so transactions that
 * contend for the same rows queue instead of deadlocking. Database constraints stay the guarantee;
 * this only orders the contenders (e.g. two exclusion constraints checked by concurrent inserts
 * can otherwise end in a deadlock rather than a clean violation). Call inside `em.transactional`.
 *
 * All of a call's locks are taken by ONE statement (one round trip instead of one per key). The
 * order still matters — two callers taking {a, b} must both take `a` first — so the statement pins
 * it rather than trusting the planner:
 * - the keys are sorted here and passed as an array; `with ordinality` numbers them in that order
 *   (PostgreSQL's text collation might sort them differently from JavaScript, so it never sorts
 *   by key);
 * - the inner query orders by that number, and `offset 0` keeps it a separate subquery (PostgreSQL
 *   does not pull a subquery with OFFSET/LIMIT up into its parent), so its rows reach the outer
 *   query already sorted;
 * - the lock call is in the OUTER target list, evaluated once per row as the rows arrive. Had it sat
 *   next to the ORDER BY in one query, the order would rest on the planner postponing a volatile
 *   target-list expression until after the sort.
 * The locks wait like the one-by-one calls did (`pg_advisory_xact_lock` blocks), and are held to the
 * end of the transaction.
 */
export async function lockInOrder(tx: EntityManager, keys: string[]): Promise<void> {
  const sorted = [...new Set(keys)].sort();
  if (sorted.length === 0) return;
  const conn = tx.getConnection();
  const trx = tx.getTransactionContext();
  await conn.execute(lockStatement(sorted.length), sorted, 'all', trx);
}

/** The statement that locks `n` keys (bound as `?` parameters, already sorted) in their given order. */
export function lockStatement(n: number): string {
  const list = Array.from({ length: n }, () => '?').join(', ');
  return (
    'select pg_advisory_xact_lock(hashtextextended(s.key, 0)) from ' +
    `(select t.key from unnest(array[${list}]::text[]) with ordinality as t(key, n) order by t.n offset 0) s`
  );
}
