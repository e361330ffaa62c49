import { UnrecoverableError, type Job } from 'bullmq';
import type { MikroORM } from '@mikro-orm/postgresql';
import type { UserChangedEvent } from '@hc/jobs';

/**
 * Applies auth's `user.changed` to the contact copy. Idempotent and order-tolerant: an event
 * older than the stored row changes nothing, so redelivery or reordering cannot roll a
 * contact back.
 */
export async function applyUserChanged(orm: MikroORM, job: Job<UserChangedEvent>): Promise<'applied' | 'stale' | 'ignored'> {
  if (job.name !== 'user.changed') return 'ignored';
  const e = job.data;
  if (!e?.userId || !e.email || Number.isNaN(Date.parse(e.updatedAt)))
    throw new UnrecoverableError('malformed user.changed event');
  const res = await orm.em
    .fork()
    .getConnection()
    .execute(
      `insert into contacts (user_id, name, email, phone, role, updated_at) values (?, ?, ?, ?, ?, ?)
     on conflict (user_id) do update set name = excluded.name, email = excluded.email, phone = excluded.phone,
       role = excluded.role, updated_at = excluded.updated_at
     where contacts.updated_at < excluded.updated_at`,
      [e.userId, e.name, e.email, e.phone ?? null, e.role, e.updatedAt],
      'run',
    );
  return ((res as { affectedRows?: number }).affectedRows ?? 0) > 0 ? 'applied' : 'stale';
}
