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
  record(): void {
    if (background.getStore()) return;
    this.count += 1;
  }
  get total(): number {
    return this.count;
  }

  /** Runs `fn` (and every timer and promise it starts) as uncounted background work. */
  static background<T>(fn: () => T): T {
    return background.run(true, fn);
  }
}
