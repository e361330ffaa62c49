import type { EntityManager } from '@mikro-orm/postgresql';
import { BadUserInputError, requireUser, type FieldProblem } from '@hc/graphql';
import type { PushSubscriptionInput } from './push.inputs.js';
import type { NotificationSubgraphContext } from '../../context.js';

/** Browsers kept per user; subscribing one more drops the least recently renewed. */
export const MAX_SUBSCRIPTIONS_PER_USER = 20;

const BASE64URL = /^[A-Za-z0-9_-]+={0,2}$/;

/** Decoded bytes of a base64url string, or null when it is not base64url. */
function base64url(value: string): Buffer | null {
  return BASE64URL.test(value) ? Buffer.from(value.replace(/=+$/, ''), 'base64url') : null;
}

/** Problems with a subscription as a browser hands it over: https endpoint, P-256 key, 16-byte secret. */
export function subscriptionProblems(input: PushSubscriptionInput): FieldProblem[] {
  const problems: FieldProblem[] = [];
  const url = input.endpoint.length <= 2048 && URL.canParse(input.endpoint) ? new URL(input.endpoint) : null;
  if (!url || url.protocol !== 'https:' || url.username || url.password)
    problems.push({ field: 'endpoint', message: 'endpoint must be an https URL of at most 2048 characters' });
  const key = base64url(input.p256dh);
  if (!key || key.length !== 65 || key[0] !== 0x04)
    problems.push({ field: 'p256dh', message: 'p256dh must be a base64url uncompressed P-256 public key (65 bytes)' });
  const secret = base64url(input.auth);
  if (!secret || secret.length !== 16) problems.push({ field: 'auth', message: 'auth must be 16 bytes, base64url' });
  return problems;
}

/**
 * The signed-in user subscribes a browser: one row per endpoint (upsert), so a browser that
 * subscribes again, or for another user signing in on it, replaces its row.
 */
export async function registerPushSubscription(ctx: NotificationSubgraphContext, input: PushSubscriptionInput): Promise<boolean> {
  const user = requireUser(ctx.auth);
  const problems = subscriptionProblems(input);
  if (problems.length > 0) throw new BadUserInputError('Invalid push subscription', problems);
  const p256dh = Buffer.from(input.p256dh.replace(/=+$/, ''), 'base64url').toString('base64url');
  const auth = Buffer.from(input.auth.replace(/=+$/, ''), 'base64url').toString('base64url');
  await ctx.em.fork().transactional(async (tx: EntityManager) => {
    const conn = tx.getConnection();
    const trx = tx.getTransactionContext();
    await conn.execute(
      `insert into push_subscriptions (id, user_id, endpoint, p256dh, auth) values (gen_random_uuid(), ?, ?, ?, ?)
       on conflict (endpoint) do update set user_id = excluded.user_id, p256dh = excluded.p256dh, auth = excluded.auth, updated_at = now()`,
      [user.id, input.endpoint, p256dh, auth],
      'run',
      trx,
    );
    await conn.execute(
      `delete from push_subscriptions where id in (
         select id from push_subscriptions where user_id = ? order by updated_at desc, id offset ?)`,
      [user.id, MAX_SUBSCRIPTIONS_PER_USER],
      'run',
      trx,
    );
  });
  return true;
}

/** The signed-in user unsubscribes one of their browsers; false when they have no such subscription. */
export async function removePushSubscription(ctx: NotificationSubgraphContext, endpoint: string): Promise<boolean> {
  const user = requireUser(ctx.auth);
  const res = await ctx.em
    .getConnection()
    .execute(`delete from push_subscriptions where endpoint = ? and user_id = ?`, [endpoint, user.id], 'run');
  return ((res as { affectedRows?: number }).affectedRows ?? 0) > 0;
}
