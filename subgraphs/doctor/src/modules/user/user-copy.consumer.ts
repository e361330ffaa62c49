import type { MikroORM } from '@mikro-orm/postgresql';
import { applyIfNewer, type UserChangedEvent } from '@hc/jobs';

/**
 * Applies a `user.changed` event to the read copy. Idempotent and order-safe: an event older
 * than the stored `updatedAt` changes nothing, so redeliveries and reordering are harmless.
 * The doctor's display name follows only when the copy changed, in the same transaction.
 */
export async function applyUserChanged(orm: MikroORM, event: UserChangedEvent): Promise<void> {
  await orm.em.fork().transactional(async (tx) => {
    const changed = await applyIfNewer(tx, {
      table: 'user_copies',
      key: ['user_id'],
      rows: [
        { user_id: event.userId, name: event.name, email: event.email, role: event.role, updated_at: new Date(event.updatedAt) },
      ],
    });
    if (changed.length > 0) {
      await tx
        .getConnection()
        .execute(`update doctors set name = ? where user_id = ?`, [event.name, event.userId], 'run', tx.getTransactionContext());
    }
  });
}
