import { Migration } from '@mikro-orm/migrations';

export class Migration20261124000000_init extends Migration {
  override up(): void {
    this.addSql(`create type "notification_channel" as enum ('EMAIL', 'WHATSAPP', 'SMS');`);
    this.addSql(`create table "notification_templates" (
      "id" uuid not null primary key,
      "name" varchar(100) not null,
      "channel" "notification_channel" not null,
      "subject" varchar(200) null,
      "content" text not null,
      "is_active" boolean not null default true,
      "created_at" timestamptz not null default now(),
      "updated_at" timestamptz not null default now(),
      constraint "notification_templates_name_channel_unique" unique ("name", "channel")
    );`);
  }

  override down(): void {
    this.addSql(`drop table if exists "notification_templates";`);
    this.addSql(`drop type if exists "notification_channel";`);
  }
}
