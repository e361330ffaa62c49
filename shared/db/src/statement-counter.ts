/**
 * Counts SQL statements a service sends (wired into MikroORM's onQuery hook). Exposed on
 * /metrics and read by tests that assert reference resolution stays batched.
 */
export class StatementCounter {
  private count = 0;
  record(): void {
    this.count += 1;
  }
  get total(): number {
    return this.count;
  }
}
