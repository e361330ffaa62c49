import { Migration } from '@mikro-orm/migrations';

/**
 * A NO_SHOW leaves the double-booking exclusion constraints like a CANCELLED row: the patient did
 * not come, so the time (when still in the future) can be booked or offered to the waitlist again.
 * Each constraint is dropped and re-created with the wider predicate in one transaction; relaxing
 * a predicate cannot fail on existing rows.
 */
export class Migration20261201000000_no_show_frees_time extends Migration {
  override up(): void {
    this.recreate(`"status" not in ('CANCELLED', 'NO_SHOW')`);
  }

  /** Fails if a NO_SHOW row overlaps a later booking of its time (the old predicate cannot hold then). */
  override down(): void {
    this.recreate(`"status" <> 'CANCELLED'`);
  }

  private recreate(predicate: string): void {
    for (const who of ['doctor', 'patient']) {
      this.addSql(`alter table "appointments" drop constraint if exists "appointments_${who}_no_overlap";`);
      this.addSql(`alter table "appointments" add constraint "appointments_${who}_no_overlap" exclude using gist
        ("${who}_id" with =, tstzrange("starts_at", "ends_at") with &&) where (${predicate});`);
    }
  }
}
