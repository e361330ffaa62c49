import { UnrecoverableError } from 'bullmq';
import type { MikroORM } from '@mikro-orm/postgresql';
import { applyIfNewer, type UserChangedEvent } from '@hc/jobs';

/**
 * Applies auth's `user.changed` to the contact copy. Idempotent and order-tolerant: an event
 * older than the stored row changes nothing, so redelivery or reordering cannot roll a
 * contact back.
 */
export async function applyUserChanged(orm: MikroORM, e: UserChangedEvent): Promise<'applied' | 'stale'> {
  if (!e?.userId || !e.email || Number.isNaN(Date.parse(e.updatedAt)))
    throw new UnrecoverableError('malformed user.changed event');
  const changed = await applyIfNewer(orm.em.fork(), {
    table: 'contacts',
    key: ['user_id'],
    rows: [{ user_id: e.userId, name: e.name, email: e.email, phone: e.phone ?? null, role: e.role, updated_at: e.updatedAt }],
  });
  return changed.length > 0 ? 'applied' : 'stale';
}
