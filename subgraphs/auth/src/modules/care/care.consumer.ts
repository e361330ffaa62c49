import type { Job } from 'bullmq';
import type { MikroORM } from '@mikro-orm/postgresql';
import { createConsumer, QUEUES, type CareRelationshipEvent } from '@hc/jobs';
import type { Logger } from '@hc/logger';

/**
 * Applies one care.changed event to the read copy. Idempotent and order-safe: a row only
 * changes when the event is newer than what is stored, so retries and out-of-order delivery
 * leave the latest state.
 */
export async function applyCareEvent(orm: MikroORM, event: CareRelationshipEvent): Promise<void> {
  if (event.staffUserIds.length === 0) return;
  const conn = orm.em.getConnection();
  const values = event.staffUserIds.map(() => '(?, ?, ?, ?)').join(', ');
  const params = event.staffUserIds.flatMap((staff) => [staff, event.patientId, event.active, event.occurredAt]);
  await conn.execute(
    `insert into care_relationships (staff_user_id, patient_id, active, updated_at) values ${values}
     on conflict (staff_user_id, patient_id) do update set active = excluded.active, updated_at = excluded.updated_at
     where care_relationships.updated_at < excluded.updated_at`,
    params,
    'run',
  );
}

/**
 * Consumer of auth's events queue (care.changed from doctor; `handlers` for the other job names on
 * the same queue, e.g. audit.recorded). One worker per queue: a second one would take jobs it ignores.
 */
export function careConsumer(options: {
  orm: MikroORM;
  redisUrl: string;
  prefix: string;
  logger: Logger;
  handlers?: Record<string, (job: Job<any>) => Promise<unknown>>;
}) {
  return createConsumer<CareRelationshipEvent>({
    queue: QUEUES.authEvents,
    redisUrl: options.redisUrl,
    prefix: options.prefix,
    logger: options.logger,
    handler: async (job: Job<CareRelationshipEvent>) => {
      if (job.name !== 'care.changed') return options.handlers?.[job.name]?.(job);
      await applyCareEvent(options.orm, job.data);
    },
  });
}
