import type { EntityManager } from '@mikro-orm/postgresql';

export type Run = <T = Record<string, unknown>>(sql: string, params?: unknown[]) => Promise<T[]>;

/** Raw SQL in the EntityManager's current transaction (if any); `?` placeholders, arrays expand in `in (?)`. */
export function sqlRunner(em: EntityManager): Run {
  const conn = em.getConnection();
  const trx = em.getTransactionContext();
  return <T>(sql: string, params: unknown[] = []) => conn.execute<T[]>(sql, params, 'all', trx);
}

/** `(values (?::uuid, ?::int), ...)` for a list of order lines, with its parameters. */
export function linesValues(lines: { itemId: string; quantity: number }[]): { sql: string; params: unknown[] } {
  return {
    sql: `(values ${lines.map(() => '(?::uuid, ?::int)').join(', ')})`,
    params: lines.flatMap((l) => [l.itemId, l.quantity]),
  };
}

/** Escapes LIKE wildcards in user text. */
export const likeEscape = (s: string): string => s.replace(/[\\%_]/g, (c) => `\\${c}`);
