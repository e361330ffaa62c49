import { Migration } from '@mikro-orm/migrations';

/**
 * Consent to care access replaces the bare care relationship copy. Relationships from before
 * consent existed become PENDING requests: nobody asked those patients, so staff see their
 * health data again only once the patient accepts (or books themself).
 */
export class Migration20261130230000_care_access extends Migration {
  override up(): void {
    this.addSql(`create table "care_access" (
      "id" uuid not null default gen_random_uuid() primary key,
      "patient_id" uuid not null,
      "staff_user_id" uuid not null,
      "status" varchar(10) not null check ("status" in ('PENDING', 'ACTIVE', 'REVOKED', 'EXPIRED')),
      "reason" text not null,
      "granted_at" timestamptz null,
      "expires_at" timestamptz null,
      "appointment_id" uuid null,
      "patient_revoked_at" timestamptz null,
      "event_at" timestamptz not null,
      constraint "care_access_patient_id_staff_user_id_unique" unique ("patient_id", "staff_user_id"),
      constraint "care_access_active_was_granted" check ("status" <> 'ACTIVE' or "granted_at" is not null)
    );`);
    this.addSql(
      `create index "care_access_staff_idx" on "care_access" ("staff_user_id", "patient_id") where "status" = 'ACTIVE';`,
    );
    this.addSql(`insert into "care_access" ("patient_id", "staff_user_id", "status", "reason", "event_at")
      select "patient_id", "staff_user_id", 'PENDING', 'care from before consent was asked', "updated_at"
      from "care_relationships" where "active";`);
    this.addSql(`drop table "care_relationships";`);
  }

  override down(): void {
    this.addSql(`create table "care_relationships" (
      "staff_user_id" uuid not null, "patient_id" uuid not null, "active" boolean not null,
      "updated_at" timestamptz not null, constraint "care_relationships_pkey" primary key ("staff_user_id", "patient_id"));`);
    this.addSql(`insert into "care_relationships" ("staff_user_id", "patient_id", "active", "updated_at")
      select "staff_user_id", "patient_id", "status" = 'ACTIVE', "event_at" from "care_access";`);
    this.addSql(`drop table "care_access";`);
  }
}
