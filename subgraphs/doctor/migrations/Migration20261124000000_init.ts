import { Migration } from '@mikro-orm/migrations';
import { OUTBOX_TABLE_SQL } from '@hc/jobs';

export class Migration20261124000000_init extends Migration {
  override up(): void {
    // btree_gist lets one exclusion constraint mix equality on uuid with overlap on a range.
    this.addSql(`create extension if not exists btree_gist;`);
    this.addSql(`create type "verification_status" as enum ('PENDING', 'APPROVED', 'REJECTED');`);
    this.addSql(`create type "workplace_type" as enum ('CLINIC', 'HOSPITAL', 'PRIVATE_PRACTICE', 'ONLINE', 'OTHER');`);
    this.addSql(`create type "appointment_status" as enum ('PENDING', 'CONFIRMED', 'CANCELLED', 'COMPLETED', 'NO_SHOW');`);
    this.addSql(`create type "invite_status" as enum ('PENDING', 'ACCEPTED', 'DECLINED', 'EXPIRED', 'REVOKED');`);

    // Read copy of auth's users (user.changed events): names for the directory, emails for invites.
    this.addSql(`create table "user_copies" (
      "user_id" uuid not null primary key,
      "name" varchar(200) not null,
      "email" varchar(320) not null,
      "role" varchar(20) not null,
      "updated_at" timestamptz not null
    );`);
    this.addSql(`create index "user_copies_email_idx" on "user_copies" (lower("email"));`);

    this.addSql(`create table "doctors" (
      "id" uuid not null primary key,
      "user_id" uuid not null,
      "name" varchar(200) null,
      "specialization" varchar(120) not null,
      "license_number" varchar(64) not null,
      "biography" text null,
      "verification_status" "verification_status" not null default 'PENDING',
      "review_reason" text null,
      "created_at" timestamptz not null default now(),
      "updated_at" timestamptz not null default now(),
      constraint "doctors_user_id_unique" unique ("user_id"),
      constraint "doctors_license_number_unique" unique ("license_number")
    );`);
    this.addSql(`create index "doctors_directory_idx" on "doctors" ("verification_status", "created_at", "id");`);

    this.addSql(`create table "workplaces" (
      "id" uuid not null primary key,
      "doctor_id" uuid not null references "doctors" ("id"),
      "name" varchar(200) not null,
      "type" "workplace_type" not null,
      "is_primary" boolean not null default false,
      "is_active" boolean not null default true,
      "phone_number" varchar(40) null,
      "email" varchar(320) null,
      "description" text null,
      "website" varchar(500) null,
      "time_zone" varchar(64) not null,
      "working_hours" jsonb not null default '[]',
      "slot_duration_minutes" int not null default 30 check ("slot_duration_minutes" between 5 and 240),
      "consultation_fee" numeric(12, 2) null check ("consultation_fee" >= 0),
      "currency" varchar(3) null,
      "services_offered" text[] not null default '{}',
      "insurance_accepted" text[] not null default '{}',
      "address" jsonb null,
      "city" varchar(100) null,
      "created_at" timestamptz not null default now(),
      "updated_at" timestamptz not null default now()
    );`);
    this.addSql(`create index "workplaces_doctor_idx" on "workplaces" ("doctor_id");`);
    this.addSql(`create index "workplaces_city_idx" on "workplaces" (lower("city")) where "is_active";`);

    this.addSql(`create table "appointments" (
      "id" uuid not null primary key,
      "patient_id" uuid not null,
      "doctor_id" uuid not null references "doctors" ("id"),
      "doctor_user_id" uuid not null,
      "workplace_id" uuid not null references "workplaces" ("id"),
      "starts_at" timestamptz not null,
      "ends_at" timestamptz not null,
      "status" "appointment_status" not null default 'PENDING',
      "notes" text null,
      "cancellation_reason" text null,
      "cancelled_by" uuid null,
      "version" int not null default 1,
      "reminder_version" int null,
      "created_at" timestamptz not null default now(),
      "updated_at" timestamptz not null default now(),
      constraint "appointments_time_check" check ("starts_at" < "ends_at"),
      -- The guarantee against double booking: across all of a doctor's workplaces, and for the patient.
      constraint "appointments_doctor_no_overlap" exclude using gist
        ("doctor_id" with =, tstzrange("starts_at", "ends_at") with &&) where ("status" <> 'CANCELLED'),
      constraint "appointments_patient_no_overlap" exclude using gist
        ("patient_id" with =, tstzrange("starts_at", "ends_at") with &&) where ("status" <> 'CANCELLED')
    );`);
    this.addSql(`create index "appointments_patient_idx" on "appointments" ("patient_id", "starts_at");`);
    this.addSql(`create index "appointments_doctor_idx" on "appointments" ("doctor_id", "starts_at");`);
    this.addSql(`create index "appointments_workplace_idx" on "appointments" ("workplace_id", "starts_at");`);

    this.addSql(`create table "assistant_invites" (
      "id" uuid not null primary key,
      "doctor_id" uuid not null references "doctors" ("id"),
      "assistant_id" uuid not null,
      "workplace_id" uuid not null references "workplaces" ("id"),
      "status" "invite_status" not null default 'PENDING',
      "message" text null,
      "expires_at" timestamptz not null,
      "responded_at" timestamptz null,
      "created_at" timestamptz not null default now()
    );`);
    this.addSql(
      `create unique index "assistant_invites_one_pending" on "assistant_invites" ("assistant_id", "workplace_id") where "status" = 'PENDING';`,
    );
    this.addSql(`create index "assistant_invites_doctor_idx" on "assistant_invites" ("doctor_id", "created_at");`);

    this.addSql(`create table "assistant_assignments" (
      "id" uuid not null primary key,
      "assistant_id" uuid not null,
      "workplace_id" uuid not null references "workplaces" ("id"),
      "doctor_id" uuid not null references "doctors" ("id"),
      "assigned_at" timestamptz not null default now(),
      "revoked_at" timestamptz null
    );`);
    this.addSql(
      `create unique index "assistant_assignments_active" on "assistant_assignments" ("assistant_id", "workplace_id") where "revoked_at" is null;`,
    );
    this.addSql(`create index "assistant_assignments_workplace_idx" on "assistant_assignments" ("workplace_id");`);

    for (const sql of OUTBOX_TABLE_SQL) this.addSql(sql);
  }

  override down(): void {
    for (const t of [
      'outbox',
      'assistant_assignments',
      'assistant_invites',
      'appointments',
      'workplaces',
      'doctors',
      'user_copies',
    ])
      this.addSql(`drop table if exists "${t}";`);
    for (const t of ['invite_status', 'appointment_status', 'workplace_type', 'verification_status'])
      this.addSql(`drop type if exists "${t}";`);
  }
}
