import type { Job } from 'bullmq';
import type { MikroORM } from '@mikro-orm/postgresql';
import { QUEUES, type ReservationExpireEvent } from '@hc/jobs';
import { releaseCtes } from '../prescription/prescription.sql.js';

export const queue = QUEUES.pharmacyEvents;
export type { ReservationExpireEvent as Payload };

/**
 * Marks a lapsed reservation EXPIRED and gives back the prescription units it held. Availability never waited for this (it compares
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
  // Prescription units the hold had taken go back in the same statement, so exactly once.
  const [row] = await conn.execute<{ n: number }[]>(
    `with src as (
       update reservations set status = 'EXPIRED', updated_at = now()
        where id = ? and status = 'ACTIVE' and expires_at <= now() returning id
     ), ${releaseCtes('reservation_id')}
     select (select count(*) from src)::int as n, (select count(*) from relback)::int as released`,
    [job.data.reservationId],
  );
  if (row.n > 0) return 'expired';
  const [early] = await conn.execute<{ id: string }[]>(`select id from reservations where id = ? and status = 'ACTIVE'`, [
    job.data.reservationId,
  ]);
  if (early) throw new Error('reservation not yet expired; retrying');
  return 'skipped';
}
