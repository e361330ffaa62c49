import { Migration } from '@mikro-orm/migrations';

export class Migration20261124000000_init extends Migration {
  override up(): void {
    this.addSql(`create type "verification_status" as enum ('PENDING', 'APPROVED', 'REJECTED');`);
    this.addSql(`create table "doctors" (
      "id" uuid not null primary key,
      "user_id" uuid not null,
      "specialization" varchar(120) not null,
      "license_number" varchar(64) not null,
      "biography" text null,
      "verification_status" "verification_status" not null default 'PENDING',
      "created_at" timestamptz not null default now(),
      "updated_at" timestamptz not null default now(),
      constraint "doctors_user_id_unique" unique ("user_id"),
      constraint "doctors_license_number_unique" unique ("license_number")
    );`);
    this.addSql(`create index "doctors_directory_idx" on "doctors" ("verification_status", "created_at", "id");`);
  }

  override down(): void {
    this.addSql(`drop table if exists "doctors";`);
    this.addSql(`drop type if exists "verification_status";`);
  }
}
