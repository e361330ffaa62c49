import type { EntityManager } from '@mikro-orm/postgresql';
import { QUEUES, Reconciler, reconciledJobs, route, type NotificationJobData, type ReconcilerOptions } from '@hc/jobs';

export type NotificationReconcilerOptions = ReconcilerOptions;

/**
 * The notification database is the source of truth for pending messages: a delivery record
 * still QUEUED whose BullMQ job Redis no longer holds (restart without persistence, failover,
 * FLUSHALL) — or holds as failed/completed although the record is not final — is re-enqueued
 * under the same job id, delayed until its (possibly moved) sendAt.
 * Delivery stays exactly-once through the record itself: a job for a message that is already
 * final does nothing. One runner at a time (advisory lock in ReconcileLoop).
 */
export class NotificationReconciler extends Reconciler {
  constructor(options: ReconcilerOptions) {
    super(options, 'notifications');
  }

  /** One pass (the loop passes its locked transaction); returns how many jobs it re-enqueued. */
  async reconcile(em: EntityManager = this.options.orm.em.fork()): Promise<number> {
    await this.queues.ready();
    const conn = em.getConnection();
    const trx = em.getTransactionContext();
    const batch = this.options.batchSize ?? 500;
    const queue = QUEUES.notifications;
    let after: string | null = null;
    let requeued = 0;
    for (;;) {
      // A live lease means a worker holds the job right now; a pending schedule change wins over send_at.
      const rows: { id: string; job_id: string; request: NotificationJobData; due: Date | null }[] = await conn.execute(
        `select n.id, coalesce(n.job_id, n.outbox_id::text) as job_id, n.request, coalesce(c.send_at, n.send_at) as due
         from notifications n left join notification_schedule_changes c on c.idempotency_key = n.idempotency_key
         where n.status = 'QUEUED' and not n.cancelled and n.request is not null
           and coalesce(n.job_id, n.outbox_id::text) is not null
           and n.updated_at < now() - (? * interval '1 millisecond')
           and (n.lease_until is null or n.lease_until < now())
           and (?::uuid is null or n.id > ?::uuid)
         order by n.id limit ?`,
        [this.options.minAgeMs, after, after, batch],
        'all',
        trx,
      );
      if (rows.length === 0) break;
      const gone = await this.queues.missing(
        queue,
        rows.map((r) => r.job_id),
      );
      // Finished in BullMQ while the record is not final: the job ended without the worker deciding
      // (stalled past BullMQ's limit around a failover). The record wins: the job runs again.
      const ended = await this.queues.finished(
        queue,
        rows.filter((r) => !gone.has(r.job_id)).map((r) => r.job_id),
      );
      for (const id of ended) await (await this.queues.get(queue).getJob(id))?.remove();
      for (const row of rows) {
        if (!gone.has(row.job_id) && !ended.has(row.job_id)) continue;
        const data = row.request;
        const [delivery] = route('notification.send', data, data.outboxId ?? row.job_id);
        const delay = row.due ? Math.max(0, new Date(row.due).getTime() - Date.now()) : 0;
        await this.queues
          .get(queue)
          .add('notification.send', delivery!.data, { ...delivery!.opts, jobId: row.job_id, ...(delay ? { delay } : {}) });
        reconciledJobs.inc({ source: 'notifications', queue });
        requeued += 1;
      }
      after = rows[rows.length - 1]!.id;
      if (rows.length < batch) break;
    }
    return requeued;
  }
}
