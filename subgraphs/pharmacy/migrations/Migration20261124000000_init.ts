import { Migration } from '@mikro-orm/migrations';

export class Migration20261124000000_init extends Migration {
  override up(): void {
    this.addSql(`create table "categories" (
      "id" uuid not null primary key,
      "name" varchar(100) not null,
      "description" text null,
      "is_active" boolean not null default true,
      "created_at" timestamptz not null default now(),
      constraint "categories_name_unique" unique ("name")
    );`);
  }

  override down(): void {
    this.addSql(`drop table if exists "categories";`);
  }
}
