import { Migration } from '@mikro-orm/migrations';

/** Prescriptions written at a visit, their lines, and which pharmacy users may read them. */
export class Migration20261130210000_prescriptions extends Migration {
  override up(): void {
    // EXPIRED is not stored: it is ACTIVE with expires_at <= now, computed on read.
    this.addSql(`create type "prescription_state" as enum ('ACTIVE', 'CANCELLED');`);
    this.addSql(`create table "prescriptions" (
      "id" uuid not null primary key,
      "patient_id" uuid not null,
      "doctor_id" uuid not null references "doctors" ("id"),
      "doctor_user_id" uuid not null,
      "appointment_id" uuid not null references "appointments" ("id"),
      "notes" text null,
      "status" "prescription_state" not null default 'ACTIVE',
      "issued_at" timestamptz not null default now(),
      "expires_at" timestamptz not null,
      "cancellation_reason" text null,
      "cancelled_at" timestamptz null,
      "version" int not null default 1,
      "updated_at" timestamptz not null default now(),
      constraint "prescriptions_validity_check" check ("expires_at" > "issued_at" and "expires_at" <= "issued_at" + interval '365 days'),
      constraint "prescriptions_cancelled_check" check (("status" = 'CANCELLED') = ("cancelled_at" is not null)),
      constraint "prescriptions_notes_length" check (char_length("notes") <= 2000),
      constraint "prescriptions_reason_length" check (char_length("cancellation_reason") <= 2000),
      constraint "prescriptions_version_check" check ("version" >= 1)
    );`);
    this.addSql(`create index "prescriptions_patient_idx" on "prescriptions" ("patient_id", "issued_at", "id");`);
    this.addSql(`create index "prescriptions_doctor_idx" on "prescriptions" ("doctor_user_id", "issued_at", "id");`);
    this.addSql(`create index "prescriptions_appointment_idx" on "prescriptions" ("appointment_id");`);

    this.addSql(`create table "prescription_items" (
      "id" uuid not null primary key,
      "prescription_id" uuid not null references "prescriptions" ("id") on delete cascade,
      "position" int not null,
      "item_id" uuid not null,
      "quantity" int not null,
      "dosage_instructions" text null,
      constraint "prescription_items_quantity_check" check ("quantity" > 0 and "quantity" <= 1000),
      constraint "prescription_items_dosage_length" check (char_length("dosage_instructions") <= 1000),
      constraint "prescription_items_item_unique" unique ("prescription_id", "item_id"),
      constraint "prescription_items_position_unique" unique ("prescription_id", "position")
    );`);

    // Fed by the pharmacy's prescription.pharmacy-access events; one row per (prescription, pharmacy user).
    this.addSql(`create table "prescription_pharmacy_access" (
      "prescription_id" uuid not null references "prescriptions" ("id") on delete cascade,
      "pharmacy_user_id" uuid not null,
      "pharmacy_id" uuid not null,
      "granted_at" timestamptz not null,
      primary key ("prescription_id", "pharmacy_user_id")
    );`);
  }

  override down(): void {
    for (const t of ['prescription_pharmacy_access', 'prescription_items', 'prescriptions'])
      this.addSql(`drop table if exists "${t}";`);
    this.addSql(`drop type if exists "prescription_state";`);
  }
}
