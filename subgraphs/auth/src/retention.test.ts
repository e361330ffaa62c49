import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { authEnv, loadConfig } from '@hc/config';
import { outboxRetention, pruneOnce } from '@hc/db';
import { startTestSubgraph } from '@hc/testing';
import { authSubgraph } from './server.js';
import { authRetention } from './retention.js';

describe('retention (auth)', () => {
  let sg: Awaited<ReturnType<typeof startTestSubgraph>>;
  // Long interval: the test runs the pruner itself.
  beforeAll(async () => {
    sg = await startTestSubgraph(authSubgraph, { env: { RETENTION_INTERVAL_SECONDS: '86400' } });
  });
  afterAll(async () => {
    await sg?.stop();
  });

  const sql = (q: string, p: unknown[] = []) => sg.orm.em.getConnection().execute(q, p);
  const config = loadConfig(authEnv, { RETENTION_OTP_DAYS: '2', RETENTION_REFRESH_TOKEN_DAYS: '30' });
  const rules = () => [outboxRetention(7), ...authRetention(config)];

  it('deletes rows past their age and keeps the newer ones', async () => {
    const user = randomUUID();
    await sql(`insert into users (id, name, email, password_hash, role) values (?, 'R', ?, 'x', 'PATIENT')`, [
      user,
      `${user}@example.com`,
    ]);
    const otp = (label: string, expires: string, consumed: string | null) =>
      sql(
        `insert into otp_codes (id, user_id, purpose, code_hash, expires_at, consumed_at)
         values (?, ?, 'VERIFY', ?, now() + ?::interval, now() + ?::interval)`,
        [randomUUID(), user, label, expires, consumed],
      );
    await otp('old-expired', '-3 days', null);
    await otp('old-used', '1 hour', '-3 days');
    await otp('recent-expired', '-1 day', null);
    await otp('live', '10 minutes', null);
    const token = (label: string, familyExpires: string, revoked: string | null) =>
      sql(
        `insert into refresh_tokens (id, user_id, family_id, token_hash, family_expires_at, idle_expires_at, revoked_at)
         values (?, ?, ?, ?, now() + ?::interval, now() + interval '1 day', now() + ?::interval)`,
        [randomUUID(), user, randomUUID(), label, familyExpires, revoked],
      );
    await token('old-revoked', '5 days', '-31 days');
    await token('old-expired', '-31 days', null);
    await token('recent-revoked', '5 days', '-29 days');
    await token('live', '5 days', null);
    const outbox = (label: string, published: string | null) =>
      sql(`insert into outbox (id, topic, payload, published_at) values (?, 'user.changed', ?, now() + ?::interval)`, [
        randomUUID(),
        JSON.stringify({ label }),
        published,
      ]);
    await outbox('old-published', '-8 days');
    await outbox('recent-published', '-6 days');
    await sql(
      `insert into outbox (id, topic, payload, created_at) values (?, 'user.changed', '{"label":"old-unpublished"}', now() - interval '30 days')`,
      [randomUUID()],
    );

    const counts = await pruneOnce(sg.orm.em, rules(), 'retention:auth');
    expect(counts).toEqual({ outbox: 1, otp_codes: 2, refresh_tokens: 2 });
    const left = async (q: string) => ((await sql(q)) as { label: string }[]).map((r) => r.label).sort();
    expect(await left(`select code_hash as label from otp_codes where user_id = '${user}'`)).toEqual(['live', 'recent-expired']);
    expect(await left(`select token_hash as label from refresh_tokens where user_id = '${user}'`)).toEqual([
      'live',
      'recent-revoked',
    ]);
    // An unpublished row is never pruned, however old: the relay still owes it.
    expect(await left(`select payload->>'label' as label from outbox where payload->>'label' is not null`)).toEqual([
      'old-unpublished',
      'recent-published',
    ]);
  });

  it('runs one pruner at a time: a second one skips while the first holds the lock', async () => {
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    let locked!: () => void;
    const isLocked = new Promise<void>((r) => (locked = r));
    const first = sg.orm.em.fork().transactional(async (tx) => {
      await tx
        .getConnection()
        .execute(`select pg_advisory_xact_lock(hashtextextended('retention:auth', 0))`, [], 'all', tx.getTransactionContext());
      locked();
      await held;
    });
    await isLocked;
    expect(await pruneOnce(sg.orm.em, rules(), 'retention:auth')).toBeNull();
    release();
    await first;
    expect(await pruneOnce(sg.orm.em, rules(), 'retention:auth')).not.toBeNull();
  });
});
