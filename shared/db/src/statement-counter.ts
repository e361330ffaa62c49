import { AsyncLocalStorage } from 'node:async_hooks';

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
  record(sql?: string): void {
    if (background.getStore()) return;
    this.count += 1;
    if (sql) for (const w of this.watchers) if (w.pattern.test(sql)) w.count += 1;
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
