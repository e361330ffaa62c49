import type { Job } from 'bullmq';
import type { MikroORM } from '@mikro-orm/postgresql';
import { QUEUES, type ReservationExpireEvent } from '@hc/jobs';

export const queue = QUEUES.pharmacyEvents;
export type { ReservationExpireEvent as Payload };

/**
 * Marks a lapsed reservation EXPIRED. Availability never waited for this (it compares
 * expires_at with now()); the job makes the status visible and is idempotent: a cancelled,
 * fulfilled or already expired reservation is left alone. A job that fires a moment early (clock
 * skew between Redis and PostgreSQL) throws so BullMQ retries it after its backoff.
 */
export async function process(
  orm: MikroORM,
  job: Pick<Job<ReservationExpireEvent>, 'name' | 'data'>,
): Promise<'expired' | 'skipped'> {
  if (job.name !== 'reservation.expire') return 'skipped';
  const conn = orm.em.getConnection();
  const rows = await conn.execute<{ id: string }[]>(
    `update reservations set status = 'EXPIRED', updated_at = now()
      where id = ? and status = 'ACTIVE' and expires_at <= now() returning id`,
    [job.data.reservationId],
  );
  if (rows.length > 0) return 'expired';
  const [early] = await conn.execute<{ id: string }[]>(`select id from reservations where id = ? and status = 'ACTIVE'`, [
    job.data.reservationId,
  ]);
  if (early) throw new Error('reservation not yet expired; retrying');
  return 'skipped';
}
