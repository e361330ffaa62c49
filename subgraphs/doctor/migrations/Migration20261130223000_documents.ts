import { Migration } from '@mikro-orm/migrations';

/** Doctors' ID cards and licenses: one row per requested upload; the object store holds the files. */
export class Migration20261130223000_documents extends Migration {
  override up(): void {
    this.addSql(`create table "doctor_documents" (
      "id" uuid not null primary key,
      "doctor_id" uuid not null references "doctors" ("id") on delete cascade,
      "kind" varchar(20) not null,
      "storage_key" varchar(200) not null,
      "content_type" varchar(50) not null,
      "size" int not null,
      "requested_at" timestamptz not null default now(),
      "upload_expires_at" timestamptz not null,
      "uploaded_at" timestamptz null,
      constraint "doctor_documents_storage_key_unique" unique ("storage_key"),
      constraint "doctor_documents_kind_check" check ("kind" in ('ID_CARD', 'MEDICAL_LICENSE')),
      constraint "doctor_documents_type_check" check ("content_type" in ('application/pdf', 'image/jpeg', 'image/png')),
      constraint "doctor_documents_size_check" check ("size" > 0)
    );`);
    this.addSql(`create index "doctor_documents_doctor_idx" on "doctor_documents" ("doctor_id", "requested_at" desc);`);
  }

  override down(): void {
    this.addSql(`drop table if exists "doctor_documents";`);
  }
}
