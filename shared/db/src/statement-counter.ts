import { AsyncLocalStorage } from 'node:async_hooks';
import { writeFileSync } from 'node:fs';

const background = new AsyncLocalStorage<true>();

/**
 * Counts SQL statements a service sends on behalf of requests (wired into MikroORM's onQuery
 * hook). Exposed on /metrics and read by tests that assert reference resolution stays batched.
 * Background work (outbox relay polling, queue consumers) runs inside `StatementCounter.background`
 * and is not counted: its timing is independent of requests and would make those counts flaky.
 */
export class StatementCounter {
  private count = 0;
  private readonly watchers: { pattern: RegExp; count: number }[] = [];
  private samples?: Map<string, StatementSample>;
  /** Raw SQL → its normalized shape (the ORM sends the same few hundred texts over and over). */
  private readonly shapes = new Map<string, string>();
  record(sql?: string, params?: readonly unknown[]): void {
    if (background.getStore()) return;
    this.count += 1;
    if (!sql) return;
    for (const w of this.watchers) if (w.pattern.test(sql)) w.count += 1;
    if (this.samples) {
      let key = this.shapes.get(sql);
      if (key === undefined) this.shapes.set(sql, (key = normalizeSql(sql)));
      const seen = this.samples.get(key);
      if (seen) seen.count += 1;
      else this.samples.set(key, { sql: key, count: 1, sample: { sql, params: params ? [...params] : [] } });
    }
  }

  /**
   * Diagnostics (benchmarks) only: from now on, keep every distinct request statement (normalized:
   * `?` placeholders, repeated value lists collapsed) with its count and the first one's SQL and
   * parameters; `writeSamples` dumps them. Parameters are real data: never enable in production.
   */
  sample(): void {
    this.samples ??= new Map();
  }

  /** The sampled statements, most frequent first (empty unless `sample()` was called). */
  get sampled(): StatementSample[] {
    return [...(this.samples?.values() ?? [])].sort((a, b) => b.count - a.count);
  }

  /** Writes `sampled` as JSON to `file` (synchronously: callable from a process 'exit' handler). */
  writeSamples(file: string): void {
    writeFileSync(
      file,
      JSON.stringify(this.sampled, (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v), 2),
    );
  }

  /**
   * Counts, from now on, the request statements whose SQL matches `pattern` (e.g. inserts into one
   * table); read the returned function for the count. Tests only: nothing watches in production.
   */
  watch(pattern: RegExp): () => number {
    const watcher = { pattern, count: 0 };
    this.watchers.push(watcher);
    return () => watcher.count;
  }
  get total(): number {
    return this.count;
  }

  /** Runs `fn` (and every timer and promise it starts) as uncounted background work. */
  static background<T>(fn: () => T): T {
    return background.run(true, fn);
  }
}

/** One distinct statement seen while sampling: its normalized text, how often, and one real instance. */
export interface StatementSample {
  sql: string;
  count: number;
  sample: { sql: string; params: unknown[] };
}

/**
 * The statement's shape: whitespace collapsed, `(?, ?, ?)` and `in (?)` lists and repeated `(…), (…)`
 * value rows reduced to one, so the same query over a different number of keys counts as one statement.
 */
export function normalizeSql(sql: string): string {
  return sql
    .replace(/\s+/g, ' ')
    .replace(/\(\s*\?(?:\s*,\s*\?)+\s*\)/g, '(?, …)')
    .replace(/\bin \(\?\)/gi, 'in (?, …)')
    .replace(/(\([^()]*\))(?:\s*,\s*\([^()]*\))+/g, '$1, …')
    .trim();
}
