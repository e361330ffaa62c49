import { Migration } from '@mikro-orm/migrations';

/**
 * Answers that do not confirm other people's data (docs/security.md "Enumeration"):
 * - a licence number may sit on several PENDING profiles (a duplicate is flagged for the admin
 *   review) but on one APPROVED profile only;
 * - an assistant invite is recorded by email whether or not an assistant has that email.
 */
export class Migration20261130220000_non_probing extends Migration {
  override up(): void {
    this.addSql(`alter table "doctors" drop constraint "doctors_license_number_unique";`);
    this.addSql(`alter table "doctors" add column "license_shared" boolean not null default false;`);
    this.addSql(`create index "doctors_license_number_idx" on "doctors" ("license_number");`);
    this.addSql(
      `create unique index "doctors_license_number_approved" on "doctors" ("license_number") where "verification_status" = 'APPROVED';`,
    );

    this.addSql(`alter table "assistant_invites" alter column "assistant_id" drop not null;`);
    this.addSql(`alter table "assistant_invites" add column "invitee_email" varchar(254) null;`);
    this.addSql(
      `update "assistant_invites" i set "invitee_email" = lower(u."email") from "user_copies" u where u."user_id" = i."assistant_id";`,
    );
    this.addSql(
      `create unique index "assistant_invites_one_pending_by_email" on "assistant_invites" ("invitee_email", "workplace_id") where "status" = 'PENDING' and "assistant_id" is null;`,
    );
  }

  override down(): void {
    this.addSql(`drop index "assistant_invites_one_pending_by_email";`);
    this.addSql(`delete from "assistant_invites" where "assistant_id" is null;`);
    this.addSql(`alter table "assistant_invites" drop column "invitee_email";`);
    this.addSql(`alter table "assistant_invites" alter column "assistant_id" set not null;`);
    this.addSql(`drop index "doctors_license_number_approved";`);
    this.addSql(`drop index "doctors_license_number_idx";`);
    this.addSql(`alter table "doctors" drop column "license_shared";`);
    this.addSql(`alter table "doctors" add constraint "doctors_license_number_unique" unique ("license_number");`);
  }
}
