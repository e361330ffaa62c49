import { Migration } from '@mikro-orm/migrations';

/**
 * The revocation markers (`readRevocations`: users whose tokens_valid_after is recent) were read
 * with a sequential scan of every user, by every service at start and on each poll while Redis
 * pub/sub is down (found by `BENCH_EXPLAIN=1 npm run bench:mixed`). Only users who changed or reset
 * their password have the column set, so the partial index stays small.
 */
export class Migration20261201000000_users_tokens_valid_after_idx extends Migration {
  override up(): void {
    this.addSql(
      `create index if not exists "users_tokens_valid_after_idx" on "users" ("tokens_valid_after") where "tokens_valid_after" is not null;`,
    );
  }

  override down(): void {
    this.addSql(`drop index if exists "users_tokens_valid_after_idx";`);
  }
}
