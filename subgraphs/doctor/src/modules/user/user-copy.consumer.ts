import type { Job } from 'bullmq';
import type { MikroORM } from '@mikro-orm/postgresql';
import type { UserChangedEvent } from '@hc/jobs';

/**
 * Applies a `user.changed` event to the read copy. Idempotent and order-safe: an event older
 * than the stored `updatedAt` changes nothing, so redeliveries and reordering are harmless.
 */
export async function applyUserChanged(orm: MikroORM, event: UserChangedEvent): Promise<void> {
  const em = orm.em.fork();
  await em.transactional(async (tx) => {
    const conn = tx.getConnection();
    const trx = tx.getTransactionContext();
    const rows = await conn.execute<{ user_id: string }[]>(
      `insert into user_copies (user_id, name, email, role, updated_at) values (?, ?, ?, ?, ?)
       on conflict (user_id) do update set name = excluded.name, email = excluded.email, role = excluded.role,
         updated_at = excluded.updated_at
       where user_copies.updated_at < excluded.updated_at
       returning user_id`,
      [event.userId, event.name, event.email, event.role, new Date(event.updatedAt)],
      'all',
      trx,
    );
    if (rows.length > 0) {
      await conn.execute(`update doctors set name = ? where user_id = ?`, [event.name, event.userId], 'run', trx);
    }
  });
}

/** BullMQ handler for QUEUES.doctorEvents. */
export const userChangedHandler = (orm: MikroORM) => async (job: Job<UserChangedEvent>) => {
  if (job.name !== 'user.changed') return;
  await applyUserChanged(orm, job.data);
};
