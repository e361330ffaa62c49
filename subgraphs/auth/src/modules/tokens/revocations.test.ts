import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { INTERNAL_SECRET_HEADER, type RevocationSnapshot } from '@hc/auth';
import { startTestSubgraph, type TestSubgraph } from '@hc/testing';
import { authSubgraph } from '../../server.js';

const SECRET = 'internal-secret-0123456789abcdef';

describe('GET /internal/revocations', () => {
  let auth: TestSubgraph;
  const recent = randomUUID();
  const old = randomUUID();
  beforeAll(async () => {
    auth = await startTestSubgraph(authSubgraph, { env: { INTERNAL_SECRET: SECRET, AUTH_OUTBOX_RELAY: 'false' } });
    const conn = auth.orm.em.getConnection();
    for (const [id, at] of [
      [recent, `now() - interval '10 seconds'`],
      // Older than the access-token lifetime (900 s): voids nothing any more.
      [old, `now() - interval '2 hours'`],
    ]) {
      await conn.execute(
        `insert into users (id, name, email, password_hash, role, is_verified, tokens_valid_after) values (?, 'R', ?, 'x', 'PATIENT', true, ${at})`,
        [id, `r.${id.slice(0, 8)}@example.com`],
      );
    }
  });
  afterAll(async () => {
    await auth?.stop();
  });

  const get = (since: number, headers: Record<string, string> = {}) =>
    fetch(`${auth.server.url}/internal/revocations?since=${since}`, { headers });

  it('answers 404 without the INTERNAL_SECRET header or with a wrong one', async () => {
    expect((await get(0)).status).toBe(404);
    expect((await get(0, { [INTERNAL_SECRET_HEADER]: 'wrong-secret-0123456789abcdef!!' })).status).toBe(404);
  });

  it('returns the markers set since `since` within the token lifetime, with its clock and the window', async () => {
    const res = await get(0, { [INTERNAL_SECRET_HEADER]: SECRET });
    expect(res.status).toBe(200);
    const body = (await res.json()) as RevocationSnapshot;
    const ids = body.markers.map((m) => m.userId);
    expect(ids).toContain(recent);
    expect(ids).not.toContain(old);
    expect(body.windowSeconds).toBe(900);
    expect(Math.abs(body.now - Date.now() / 1000)).toBeLessThan(5);
    const marker = body.markers.find((m) => m.userId === recent)!;
    expect(body.now - marker.validAfter).toBeGreaterThanOrEqual(9);
    // Incremental: nothing set after `now`.
    const later = (await (await get(body.now + 1, { [INTERNAL_SECRET_HEADER]: SECRET })).json()) as RevocationSnapshot;
    expect(later.markers.map((m) => m.userId)).not.toContain(recent);
  });

  it('reads the markers through the partial index, not by scanning every user', async () => {
    const conn = auth.orm.em.getConnection();
    await conn.execute('analyze users');
    // With sequential scans discouraged, a plan still scanning `users` means no index serves the read.
    const plan = await auth.orm.em.transactional(async (tx) => {
      const c = tx.getConnection();
      const ctx = tx.getTransactionContext();
      await c.execute('set local enable_seqscan = off', [], 'all', ctx);
      const rows = await c.execute<{ 'QUERY PLAN': string }[]>(
        `explain select id from users
          where tokens_valid_after > greatest(to_timestamp(cast(? as double precision)), now() - make_interval(secs => cast(? as double precision)))`,
        [0, 960],
        'all',
        ctx,
      );
      return rows.map((r) => r['QUERY PLAN']).join('\n');
    });
    expect(plan).toContain('users_tokens_valid_after_idx');
    expect(plan).not.toContain('Seq Scan');
  });
});
