import { Migration } from '@mikro-orm/migrations';
import { OUTBOX_TABLE_SQL } from '@hc/jobs';

export class Migration20261124000000_init extends Migration {
  override up(): void {
    this.addSql(`create type "user_role" as enum ('PATIENT', 'DOCTOR', 'ASSISTANT', 'PHARMACY', 'ADMIN');`);
    this.addSql(`create table "users" (
      "id" uuid not null primary key,
      "name" varchar(120) not null,
      "email" varchar(254) not null,
      "password_hash" text not null,
      "phone" varchar(20) null,
      "role" "user_role" not null,
      "is_verified" boolean not null default false,
      "profile_picture_url" text null,
      "date_of_birth" date null,
      "gender" varchar(40) null,
      "tokens_valid_after" timestamptz null,
      "created_at" timestamptz not null default now(),
      "updated_at" timestamptz not null default now(),
      constraint "users_email_normalised" check ("email" = lower(btrim("email"))),
      constraint "users_phone_e164" check ("phone" is null or "phone" ~ '^\\+[1-9][0-9]{6,14}$')
    );`);
    this.addSql(`create unique index "users_email_key" on "users" (lower("email"));`);
    this.addSql(`create index "users_role_created_idx" on "users" ("role", "created_at", "id");`);
    this.addSql(`create index "users_created_idx" on "users" ("created_at", "id");`);

    this.addSql(`create table "otp_codes" (
      "id" uuid not null primary key,
      "user_id" uuid not null references "users" ("id") on delete cascade,
      "purpose" varchar(10) not null check ("purpose" in ('VERIFY', 'RESET')),
      "code_hash" varchar(64) not null,
      "expires_at" timestamptz not null,
      "attempts" int not null default 0 check ("attempts" between 0 and 5),
      "consumed_at" timestamptz null,
      "created_at" timestamptz not null default now()
    );`);
    this.addSql(
      `create index "otp_codes_active_idx" on "otp_codes" ("user_id", "purpose", "created_at") where "consumed_at" is null;`,
    );

    this.addSql(`create table "refresh_tokens" (
      "id" uuid not null primary key,
      "user_id" uuid not null references "users" ("id") on delete cascade,
      "family_id" uuid not null,
      "token_hash" varchar(64) not null,
      "family_expires_at" timestamptz not null,
      "idle_expires_at" timestamptz not null,
      "used_at" timestamptz null,
      "revoked_at" timestamptz null,
      "created_at" timestamptz not null default now()
    );`);
    this.addSql(`create unique index "refresh_tokens_hash_key" on "refresh_tokens" ("token_hash");`);
    this.addSql(`create index "refresh_tokens_family_idx" on "refresh_tokens" ("family_id");`);
    this.addSql(`create index "refresh_tokens_user_idx" on "refresh_tokens" ("user_id") where "revoked_at" is null;`);

    this.addSql(`create type "address_type" as enum ('HOME', 'WORK', 'BILLING', 'SHIPPING', 'CLINIC', 'OTHER');`);
    this.addSql(`create table "addresses" (
      "id" uuid not null primary key,
      "user_id" uuid not null references "users" ("id") on delete cascade,
      "type" "address_type" not null,
      "street" varchar(200) not null,
      "city" varchar(100) not null,
      "state" varchar(100) null,
      "postal_code" varchar(20) null,
      "country" varchar(100) not null,
      "is_default" boolean not null default false,
      "created_at" timestamptz not null default now()
    );`);
    this.addSql(`create index "addresses_user_idx" on "addresses" ("user_id", "created_at");`);
    // At most one default address per user, whatever races between two requests.
    this.addSql(`create unique index "addresses_one_default" on "addresses" ("user_id") where "is_default";`);

    this.addSql(`create table "patient_profiles" (
      "user_id" uuid not null primary key references "users" ("id") on delete cascade,
      "emergency_contact" varchar(200) null,
      "insurance_info" text null,
      "medical_history" text null,
      "allergies" text[] not null default '{}',
      "updated_at" timestamptz not null default now()
    );`);

    // Read copy of doctor's care relationships (care.changed events): who may read a patient's health data.
    this.addSql(`create table "care_relationships" (
      "patient_id" uuid not null,
      "staff_user_id" uuid not null,
      "active" boolean not null,
      "updated_at" timestamptz not null,
      primary key ("staff_user_id", "patient_id")
    );`);

    for (const sql of OUTBOX_TABLE_SQL) this.addSql(sql);
  }

  override down(): void {
    this.addSql(`drop table if exists "outbox";`);
    this.addSql(`drop table if exists "care_relationships";`);
    this.addSql(`drop table if exists "patient_profiles";`);
    this.addSql(`drop table if exists "addresses";`);
    this.addSql(`drop type if exists "address_type";`);
    this.addSql(`drop table if exists "refresh_tokens";`);
    this.addSql(`drop table if exists "otp_codes";`);
    this.addSql(`drop table if exists "users";`);
    this.addSql(`drop type if exists "user_role";`);
  }
}
