import { Migration } from '@mikro-orm/migrations';
import { OUTBOX_TABLE_SQL } from '@hc/jobs';

export class Migration20261124000000_init extends Migration {
  override up(): void {
    this.addSql(`create type "notification_channel" as enum ('EMAIL', 'WHATSAPP', 'SMS');`);
    this.addSql(`create type "notification_status" as enum ('QUEUED', 'SENT', 'DELIVERED', 'FAILED', 'SKIPPED');`);
    this.addSql(`create table "notification_templates" (
      "id" uuid not null primary key,
      "name" varchar(100) not null,
      "channel" "notification_channel" not null,
      "subject" varchar(200) null,
      "content" text not null,
      "variables" jsonb not null default '[]',
      "is_active" boolean not null default true,
      "created_at" timestamptz not null default now(),
      "updated_at" timestamptz not null default now(),
      constraint "notification_templates_name_channel_unique" unique ("name", "channel")
    );`);
    // Read copy of auth's users (user.changed events); never read from auth's database.
    this.addSql(`create table "contacts" (
      "user_id" uuid not null primary key,
      "name" varchar(200) not null,
      "email" varchar(320) not null,
      "phone" varchar(32) null,
      "role" varchar(20) not null,
      "updated_at" timestamptz not null
    );`);
    this.addSql(`create table "notification_preferences" (
      "user_id" uuid not null primary key,
      "email_enabled" boolean not null default true,
      "whatsapp_enabled" boolean not null default true,
      "sms_enabled" boolean not null default true,
      "preferred_channel" "notification_channel" null,
      "updated_at" timestamptz not null default now()
    );`);
    // One row per logical message (idempotency key): the delivery record that keeps a retried
    // or duplicated job from sending twice, and the user's history.
    this.addSql(`create table "notifications" (
      "id" uuid not null primary key,
      "idempotency_key" varchar(200) not null,
      "outbox_id" uuid null,
      "job_id" varchar(100) null,
      "user_id" uuid not null,
      "template" varchar(100) not null,
      "channel" "notification_channel" not null,
      "destination" varchar(200) not null default '',
      "status" "notification_status" not null default 'QUEUED',
      "attempts" int not null default 0 check ("attempts" >= 0),
      "error_message" text null,
      "provider_message_id" varchar(200) null,
      "send_at" timestamptz null,
      "cancelled" boolean not null default false,
      "schedule_changed_at" timestamptz null,
      "lease_job_id" varchar(100) null,
      "lease_until" timestamptz null,
      "sent_at" timestamptz null,
      "delivered_at" timestamptz null,
      "created_at" timestamptz not null default now(),
      "updated_at" timestamptz not null default now(),
      constraint "notifications_idempotency_key_unique" unique ("idempotency_key")
    );`);
    this.addSql(`create index "notifications_user_created_idx" on "notifications" ("user_id", "created_at" desc, "id" desc);`);
    this.addSql(`create index "notifications_provider_message_idx" on "notifications" ("provider_message_id");`);
    // Cancel/move requests by key; may arrive before the message itself (different jobs).
    this.addSql(`create table "notification_schedule_changes" (
      "idempotency_key" varchar(200) not null primary key,
      "send_at" timestamptz null,
      "cancelled" boolean not null,
      "changed_at" timestamptz not null
    );`);
    // sendNotification (admin) goes through the same outbox as every producer.
    for (const sql of OUTBOX_TABLE_SQL) this.addSql(sql);
  }

  override down(): void {
    this.addSql(`drop table if exists "outbox";`);
    this.addSql(`drop table if exists "notification_schedule_changes";`);
    this.addSql(`drop table if exists "notifications";`);
    this.addSql(`drop table if exists "notification_preferences";`);
    this.addSql(`drop table if exists "contacts";`);
    this.addSql(`drop table if exists "notification_templates";`);
    this.addSql(`drop type if exists "notification_status";`);
    this.addSql(`drop type if exists "notification_channel";`);
  }
}
