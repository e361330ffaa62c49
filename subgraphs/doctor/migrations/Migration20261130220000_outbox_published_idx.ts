import { Migration } from '@mikro-orm/migrations';
import { OUTBOX_PUBLISHED_INDEX_SQL } from '@hc/jobs';

/** Lets the outbox reconciler find recently published rows without scanning the whole outbox. */
export class Migration20261130220000_outbox_published_idx extends Migration {
  override up(): void {
    this.addSql(OUTBOX_PUBLISHED_INDEX_SQL);
  }

  override down(): void {
    this.addSql(`drop index if exists "outbox_published_idx";`);
  }
}
