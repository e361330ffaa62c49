import type { EntityManager, MikroORM } from '@mikro-orm/postgresql';
import type { Logger } from '@hc/logger';

/**
 * One kind of row kept for a limited time: `sql` deletes (or scrubs) the rows older than the age,
 * with one `?` that receives `days`, e.g.
 * `delete from outbox where published_at < now() - make_interval(days => ?)`.
 */
export interface RetentionRule {
  name: string;
  days: number;
  sql: string;
}

/** Published outbox rows (their payloads hold message variables and event data). */
export const outboxRetention = (days: number): RetentionRule => ({
  name: 'outbox',
  days,
  sql: `delete from outbox where published_at is not null and published_at < now() - make_interval(days => ?)`,
});

/**
 * Runs every rule once in one transaction, unless another process of the same subgraph is
 * already pruning (a transaction-scoped advisory lock on `lockKey`): returns the rows each rule
 * removed or changed, or null when it did not run.
 */
export async function pruneOnce(
  em: EntityManager,
  rules: RetentionRule[],
  lockKey: string,
): Promise<Record<string, number> | null> {
  return em.fork().transactional(async (tx) => {
    const conn = tx.getConnection();
    const trx = tx.getTransactionContext();
    const [{ got }] = await conn.execute<{ got: boolean }[]>(
      'select pg_try_advisory_xact_lock(hashtextextended(?, 0)) as got',
      [lockKey],
      'all',
      trx,
    );
    if (!got) return null;
    const counts: Record<string, number> = {};
    for (const rule of rules) {
      const res = await conn.execute<{ affectedRows: number }>(rule.sql, [rule.days], 'run', trx);
      counts[rule.name] = res.affectedRows;
    }
    return counts;
  });
}

/** Prunes on start and then every `intervalSeconds`; a failed run is logged and tried at the next tick. */
export function retentionTask(opts: {
  orm: MikroORM;
  logger: Logger;
  rules: RetentionRule[];
  intervalSeconds: number;
  lockKey: string;
}): { start: () => void; stop: () => Promise<void> } {
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<unknown> = Promise.resolve();
  const tick = () => {
    running = pruneOnce(opts.orm.em, opts.rules, opts.lockKey)
      .then((counts) => {
        if (counts && Object.values(counts).some((n) => n > 0))
          opts.logger.info({ pruned: counts }, 'retention: old rows pruned');
      })
      .catch((err: Error) => opts.logger.warn({ err: err.message }, 'retention run failed'));
  };
  return {
    start: () => {
      tick();
      timer = setInterval(tick, opts.intervalSeconds * 1000);
      timer.unref();
    },
    stop: async () => {
      clearInterval(timer);
      await running;
    },
  };
}
