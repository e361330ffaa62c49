import { Migration } from '@mikro-orm/migrations';
import { OUTBOX_PUBLISHED_INDEX_SQL } from '@hc/jobs';

/**
 * The job a pending message came in (secrets redacted), kept until the message is final, so the
 * reconciler can re-enqueue it when Redis loses the job; and an index over the pending set.
 */
export class Migration20261130220000_reconcile extends Migration {
  override up(): void {
    this.addSql(`alter table "notifications" add column "request" jsonb null;`);
    this.addSql(`create index "notifications_queued_idx" on "notifications" ("id") where "status" = 'QUEUED';`);
    this.addSql(OUTBOX_PUBLISHED_INDEX_SQL);
  }

  override down(): void {
    this.addSql(`drop index if exists "outbox_published_idx";`);
    this.addSql(`drop index if exists "notifications_queued_idx";`);
    this.addSql(`alter table "notifications" drop column if exists "request";`);
  }
}
