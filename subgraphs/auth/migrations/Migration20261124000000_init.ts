import { Migration } from '@mikro-orm/migrations';

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
      constraint "users_email_normalised" check ("email" = lower(btrim("email")))
    );`);
    this.addSql(`create unique index "users_email_key" on "users" (lower("email"));`);
    this.addSql(`create index "users_role_created_idx" on "users" ("role", "created_at", "id");`);
  }

  override down(): void {
    this.addSql(`drop table if exists "users";`);
    this.addSql(`drop type if exists "user_role";`);
  }
}
