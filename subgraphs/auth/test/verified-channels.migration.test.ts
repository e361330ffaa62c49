import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, it } from '@jest/globals';
import { createOrm } from '@hc/db';
import { createTestDatabase, type TestDatabase } from '@hc/testing';
import { migrations } from '../migrations/index.js';

/**
 * Accounts verified before email and phone were told apart: the backfill gives each the contact
 * its verification code went to, and never calls an email verified when the code went by phone.
 */
describe('migration: verified channels backfill', () => {
  let db: TestDatabase;
  afterAll(async () => {
    await db?.drop();
  });

  it('marks the email verified unless the outbox shows the verification code went by SMS/WhatsApp', async () => {
    db = await createTestDatabase('auth_backfill');
    const before = await createOrm({ databaseUrl: db.url, entities: [], migrations: migrations.slice(0, 1), migrate: true });
    const conn = before.em.getConnection();
    const ids = { emailOnly: randomUUID(), phoneBySms: randomUUID(), phoneByEmail: randomUUID(), unverified: randomUUID() };
    const user = (id: string, phone: string | null, verified: boolean) =>
      conn.execute(
        `insert into users (id, name, email, password_hash, phone, role, is_verified) values (?, 'U', ?, 'x', ?, 'PATIENT', ?)`,
        [id, `${id}@example.com`, phone, verified],
      );
    await user(ids.emailOnly, null, true);
    await user(ids.phoneBySms, '+201001234567', true);
    await user(ids.phoneByEmail, '+201001234568', true);
    await user(ids.unverified, '+201001234569', false);
    const otp = (userId: string, channel: string) =>
      conn.execute(`insert into outbox (id, topic, payload) values (?, 'notification.send', ?::jsonb)`, [
        randomUUID(),
        JSON.stringify({ userId, template: 'auth.otp', channel, variables: {} }),
      ]);
    await otp(ids.phoneBySms, 'SMS');
    await otp(ids.phoneByEmail, 'EMAIL');
    await otp(ids.unverified, 'WHATSAPP');
    await before.close();

    const after = await createOrm({ databaseUrl: db.url, entities: [], migrations, migrate: true });
    const rows = await after.em
      .getConnection()
      .execute<{ id: string; email: boolean; phone: boolean }[]>(
        `select id, email_verified_at is not null as email, phone_verified_at is not null as phone from users`,
      );
    await after.close();
    const byId = Object.fromEntries(rows.map((r) => [r.id, { email: r.email, phone: r.phone }]));
    expect(byId[ids.emailOnly]).toEqual({ email: true, phone: false });
    expect(byId[ids.phoneBySms]).toEqual({ email: false, phone: true });
    expect(byId[ids.phoneByEmail]).toEqual({ email: true, phone: false });
    expect(byId[ids.unverified]).toEqual({ email: false, phone: false });
  });
});
