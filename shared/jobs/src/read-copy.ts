import type { EntityManager } from '@mikro-orm/postgresql';

const IDENTIFIER = /^[a-z_][a-z0-9_]*$/;
const ident = (name: string): string => {
  if (!IDENTIFIER.test(name)) throw new Error(`not a plain SQL identifier: ${name}`);
  return name;
};

export interface ApplyIfNewerOptions {
  table: string;
  /** Columns of the unique key the rows conflict on. */
  key: string[];
  /** Column values per row (every row has the same columns, the version column among them). */
  rows: Record<string, unknown>[];
  /** The column that orders versions (default `updated_at`): a row only changes to a newer value. */
  version?: string;
}

/**
 * Writes events into a read copy (another service's data kept locally), newer wins: one
 * conditional upsert (`on conflict ... do update ... where excluded.version > stored.version`), so
 * redelivered, repeated or reordered events never roll a row back, even when two arrive at once.
 * Runs in `em`'s transaction when there is one. Returns the keys of the rows inserted or changed.
 */
export async function applyIfNewer(em: EntityManager, options: ApplyIfNewerOptions): Promise<Record<string, unknown>[]> {
  if (options.rows.length === 0) return [];
  const table = ident(options.table);
  const version = ident(options.version ?? 'updated_at');
  const columns = Object.keys(options.rows[0]).map(ident);
  if (!columns.includes(version)) throw new Error(`applyIfNewer: rows of ${table} lack the version column ${version}`);
  const key = options.key.map(ident);
  const updates = columns.filter((c) => !key.includes(c)).map((c) => `${c} = excluded.${c}`);
  const tuple = `(${columns.map(() => '?').join(', ')})`;
  const sql = `insert into ${table} (${columns.join(', ')}) values ${options.rows.map(() => tuple).join(', ')}
     on conflict (${key.join(', ')}) do update set ${updates.join(', ')}
     where ${table}.${version} < excluded.${version}
     returning ${key.join(', ')}`;
  const params = options.rows.flatMap((row) => columns.map((c) => row[c]));
  return em.getConnection().execute<Record<string, unknown>[]>(sql, params, 'all', em.getTransactionContext());
}
