import { Migration } from '@mikro-orm/migrations';

/**
 * Email and phone are verified separately: an account verified by SMS has not shown that it
 * owns its email. Each code remembers the channel it was sent on, so using it proves that one.
 */
export class Migration20261130000000_verified_channels extends Migration {
  override up(): void {
    this.addSql(
      `alter table "users" add column "email_verified_at" timestamptz null, add column "phone_verified_at" timestamptz null;`,
    );
    this.addSql(
      `alter table "users" add constraint "users_phone_verified_has_phone" check ("phone_verified_at" is null or "phone" is not null);`,
    );
    this.addSql(
      `alter table "otp_codes" add column "channel" varchar(10) not null default 'EMAIL' check ("channel" in ('EMAIL', 'SMS', 'WHATSAPP'));`,
    );
    // Existing verified accounts: the channel of their verification code, when the outbox still
    // shows one sent by SMS/WhatsApp, was the phone; otherwise the code can only have gone by email
    // (accounts without a phone, and the former default).
    this.addSql(`update "users" u set "phone_verified_at" = u."updated_at"
      where u."is_verified" and u."phone" is not null and exists (
        select 1 from "outbox" o where o."topic" = 'notification.send' and o."payload"->>'userId' = u."id"::text
           and o."payload"->>'template' = 'auth.otp' and o."payload"->>'channel' in ('SMS', 'WHATSAPP'));`);
    this.addSql(`update "users" set "email_verified_at" = "updated_at" where "is_verified" and "phone_verified_at" is null;`);
  }

  override down(): void {
    this.addSql(`alter table "otp_codes" drop column "channel";`);
    this.addSql(`alter table "users" drop constraint "users_phone_verified_has_phone";`);
    this.addSql(`alter table "users" drop column "email_verified_at", drop column "phone_verified_at";`);
  }
}
