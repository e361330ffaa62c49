import type { EntityManager } from '@mikro-orm/postgresql';

/**
 * Takes transaction-scoped advisory locks on `keys`, always in sorted order, so transactions that
 * contend for the same rows queue instead of deadlocking. Database constraints stay the guarantee;
 * this only orders the contenders (e.g. two exclusion constraints checked by concurrent inserts
 * can otherwise end in a deadlock rather than a clean violation). Call inside `em.transactional`.
 */
export async function lockInOrder(tx: EntityManager, keys: string[]): Promise<void> {
  const conn = tx.getConnection();
  const trx = tx.getTransactionContext();
  for (const key of [...new Set(keys)].sort()) {
    await conn.execute('select pg_advisory_xact_lock(hashtextextended(?, 0))', [key], 'all', trx);
  }
}
