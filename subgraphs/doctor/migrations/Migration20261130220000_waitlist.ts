import { Migration } from '@mikro-orm/migrations';

/**
 * The waitlist and slot holds. A hold is an `appointments` row with status HELD: it takes part
 * in the same exclusion constraints as appointments, so while it exists no competing INSERT (or
 * reschedule) into that time can commit — the database decides, not the application.
 */
export class Migration20261130220000_waitlist extends Migration {
  override up(): void {
    // ADD VALUE may run inside the migration's transaction, but the new label cannot be used
    // before commit: constraints below compare `status::text` and `hold_expires_at` instead.
    this.addSql(`alter type "appointment_status" add value if not exists 'HELD';`);
    this.addSql(`alter table "appointments"
      add column "hold_expires_at" timestamptz null,
      add column "waitlist_entry_id" uuid null;`);
    this.addSql(`alter table "appointments" add constraint "appointments_hold_check"
      check (("status"::text = 'HELD') = ("hold_expires_at" is not null) and ("hold_expires_at" is null or "waitlist_entry_id" is not null));`);
    this.addSql(
      `create index "appointments_hold_idx" on "appointments" ("hold_expires_at") where "hold_expires_at" is not null;`,
    );

    // EXPIRED is stored once the expiry job (or a read) moved the offer on; an OFFERED row whose
    // offer_expires_at passed already reads as EXPIRED.
    this.addSql(`create type "waitlist_status" as enum ('WAITING', 'OFFERED', 'BOOKED', 'EXPIRED', 'CANCELLED');`);
    this.addSql(`create table "waitlist_entries" (
      "id" uuid not null primary key,
      "patient_id" uuid not null,
      "doctor_id" uuid not null references "doctors" ("id"),
      "workplace_id" uuid not null references "workplaces" ("id"),
      "from_at" timestamptz not null,
      "to_at" timestamptz not null,
      "status" "waitlist_status" not null default 'WAITING',
      "hold_id" uuid null,
      "offered_starts_at" timestamptz null,
      "offered_ends_at" timestamptz null,
      "offer_expires_at" timestamptz null,
      "created_at" timestamptz not null default clock_timestamp(),
      "updated_at" timestamptz not null default now(),
      constraint "waitlist_window_check" check ("from_at" < "to_at" and "to_at" <= "from_at" + interval '31 days'),
      constraint "waitlist_offer_check" check (
        "status" <> 'OFFERED' or ("hold_id" is not null and "offer_expires_at" is not null
                                 and "offered_starts_at" is not null and "offered_ends_at" is not null))
    );`);
    // The queue of one workplace in arrival order; only WAITING rows are candidates for an offer.
    this.addSql(
      `create index "waitlist_waiting_idx" on "waitlist_entries" ("workplace_id", "created_at", "id") where "status" = 'WAITING';`,
    );
    this.addSql(`create index "waitlist_patient_idx" on "waitlist_entries" ("patient_id", "created_at");`);
    // One hold is offered to one entry at a time.
    this.addSql(`create unique index "waitlist_hold_unique" on "waitlist_entries" ("hold_id") where "status" = 'OFFERED';`);
  }

  override down(): void {
    this.addSql(`drop table if exists "waitlist_entries";`);
    this.addSql(`drop type if exists "waitlist_status";`);
    this.addSql(`delete from "appointments" where "hold_expires_at" is not null;`);
    this.addSql(`alter table "appointments" drop constraint if exists "appointments_hold_check";`);
    this.addSql(`drop index if exists "appointments_hold_idx";`);
    this.addSql(`alter table "appointments" drop column if exists "hold_expires_at", drop column if exists "waitlist_entry_id";`);
    // PostgreSQL cannot drop an enum label; an unused 'HELD' stays harmless.
  }
}
