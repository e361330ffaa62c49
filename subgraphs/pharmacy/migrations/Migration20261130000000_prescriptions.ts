import { Migration } from '@mikro-orm/migrations';

/**
 * The pharmacy's own copy of prescriptions (fed by the doctor's `prescription.changed` events),
 * what was dispensed against them, and the vetting of pharmacies.
 */
export class Migration20261130000000_prescriptions extends Migration {
  override up(): void {
    this.addSql(`create table "prescriptions" (
      "id" uuid not null primary key,
      "patient_id" uuid not null,
      "doctor_id" uuid not null,
      "doctor_user_id" uuid not null,
      "appointment_id" uuid not null,
      "status" varchar(20) not null,
      "issued_at" timestamptz not null,
      "expires_at" timestamptz not null,
      "version" bigint not null,
      "updated_at" timestamptz not null default now(),
      constraint "prescriptions_status_check" check ("status" in ('ACTIVE','CANCELLED'))
    );`);
    this.addSql(`create index "prescriptions_patient_idx" on "prescriptions" ("patient_id");`);

    // No foreign key to items: a line naming an item this catalogue lacks simply never matches.
    this.addSql(`create table "prescription_lines" (
      "prescription_id" uuid not null references "prescriptions" ("id") on delete cascade,
      "item_id" uuid not null,
      "prescribed" int not null,
      "dispensed" int not null default 0,
      primary key ("prescription_id", "item_id"),
      constraint "prescription_lines_balance_check" check ("dispensed" >= 0 and "dispensed" <= "prescribed")
    );`);

    // Written before the order row in the same transaction: the order key is checked at commit.
    this.addSql(`create table "prescription_dispenses" (
      "id" uuid not null primary key,
      "prescription_id" uuid not null references "prescriptions" ("id") on delete cascade,
      "item_id" uuid not null,
      "quantity" int not null,
      "order_id" uuid null references "orders" ("id") on delete cascade deferrable initially deferred,
      "reservation_id" uuid null references "reservations" ("id") on delete cascade deferrable initially deferred,
      "branch_id" uuid not null references "pharmacy_branches" ("id"),
      "dispensed_at" timestamptz not null default now(),
      "reverted_at" timestamptz null,
      constraint "prescription_dispenses_quantity_check" check ("quantity" > 0),
      constraint "prescription_dispenses_source_check" check (("order_id" is null) <> ("reservation_id" is null))
    );`);
    this.addSql(
      `create index "prescription_dispenses_prescription_idx" on "prescription_dispenses" ("prescription_id", "dispensed_at");`,
    );
    this.addSql(
      `create index "prescription_dispenses_order_idx" on "prescription_dispenses" ("order_id") where "order_id" is not null;`,
    );
    this.addSql(
      `create index "prescription_dispenses_reservation_idx" on "prescription_dispenses" ("reservation_id") where "reservation_id" is not null;`,
    );
    this.addSql(`create index "orders_prescription_idx" on "orders" ("prescription_id") where "prescription_id" is not null;`);
    this.addSql(
      `create index "reservations_prescription_idx" on "reservations" ("prescription_id") where "prescription_id" is not null;`,
    );

    // Pharmacies already trading stay open; new ones wait for an admin.
    this.addSql(`alter table "pharmacies" add column "verification_status" varchar(20) not null default 'APPROVED',
      add column "review_reason" text null, add column "reviewed_at" timestamptz null,
      add constraint "pharmacies_verification_status_check" check ("verification_status" in ('PENDING','APPROVED','REJECTED'));`);
    this.addSql(`alter table "pharmacies" alter column "verification_status" set default 'PENDING';`);
    this.addSql(
      `create index "pharmacies_pending_idx" on "pharmacies" ("created_at", "id") where "verification_status" = 'PENDING';`,
    );
  }

  override down(): void {
    this.addSql(`drop table if exists "prescription_dispenses";`);
    this.addSql(`drop table if exists "prescription_lines";`);
    this.addSql(`drop table if exists "prescriptions";`);
    this.addSql(`drop index if exists "orders_prescription_idx";`);
    this.addSql(`drop index if exists "reservations_prescription_idx";`);
    this.addSql(
      `alter table "pharmacies" drop column "verification_status", drop column "review_reason", drop column "reviewed_at";`,
    );
  }
}
