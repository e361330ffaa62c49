import { Migration } from '@mikro-orm/migrations';

/** Web Push: a fourth channel, its opt-in, and the browsers' subscriptions (one row per endpoint). */
export class Migration20261130220000_push extends Migration {
  override up(): void {
    this.addSql(`alter type "notification_channel" add value if not exists 'PUSH';`);
    this.addSql(`alter table "notification_preferences" add column "push_enabled" boolean not null default true;`);
    this.addSql(`create table "push_subscriptions" (
      "id" uuid not null primary key,
      "user_id" uuid not null,
      "endpoint" varchar(2048) not null,
      "p256dh" varchar(100) not null,
      "auth" varchar(40) not null,
      "created_at" timestamptz not null default now(),
      "updated_at" timestamptz not null default now(),
      constraint "push_subscriptions_endpoint_unique" unique ("endpoint"),
      constraint "push_subscriptions_endpoint_https" check ("endpoint" like 'https://%')
    );`);
    this.addSql(`create index "push_subscriptions_user_idx" on "push_subscriptions" ("user_id");`);
  }

  override down(): void {
    // PostgreSQL cannot drop an enum value; PUSH stays in notification_channel.
    this.addSql(`drop table if exists "push_subscriptions";`);
    this.addSql(`alter table "notification_preferences" drop column "push_enabled";`);
  }
}
