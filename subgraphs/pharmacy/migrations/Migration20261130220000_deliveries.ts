import { Migration } from '@mikro-orm/migrations';

/**
 * Deliveries can be scheduled ahead (a date and the carrier's tracking number), fail with a reason
 * and be retried: the reason and the attempt count live on the row, and a FAILED row always says why.
 */
export class Migration20261130220000_deliveries extends Migration {
  override up(): void {
    this.addSql(`alter table "deliveries" add column "failure_reason" text null, add column "attempts" int not null default 1;`);
    this.addSql(
      `alter table "deliveries" add constraint "deliveries_failure_reason_check" check ("status" <> 'FAILED' or "failure_reason" is not null), add constraint "deliveries_attempts_check" check ("attempts" >= 1);`,
    );
  }

  override down(): void {
    this.addSql(
      `alter table "deliveries" drop constraint "deliveries_failure_reason_check", drop constraint "deliveries_attempts_check", drop column "failure_reason", drop column "attempts";`,
    );
  }
}
