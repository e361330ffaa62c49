// npm run ops:replay [-- --queue notifications] [--limit 100] [--id <jobId> ...] [--dry-run]
// Moves failed jobs back to waiting. For notifications, the delivery record in the notification
// database is reopened (FAILED -> QUEUED) first: the worker treats a final record as already
// handled, which is what keeps a retried job from ever sending twice.
import pg from 'pg';
import type { Job } from 'bullmq';
import { QUEUES, type NotificationRequest } from '@hc/jobs';
import { parseFlags, resolveTarget } from './connect.ts';
import { replayFailed } from './queues.ts';

const args = process.argv.slice(2);
const ids: string[] = [];
for (let i = args.indexOf('--id'); i !== -1; i = args.indexOf('--id')) ids.push(...args.splice(i, 2).slice(1));
const flags = parseFlags(args, { queue: 'string', limit: 'string', 'dry-run': 'boolean' });
const queue = String(flags.queue ?? QUEUES.notifications);
const target = resolveTarget();
const redactUrl = (url: string) => url.replace(/\/\/([^:@/]*):[^@/]*@/, '//$1:***@');

let db: pg.Client | null = null;
/** Reopens the notification's delivery record; one-time codes are never replayed (they were redacted and have expired). */
async function reopenNotification(job: Job): Promise<string | null> {
  if (job.name !== 'notification.send') return null;
  const data = job.data as NotificationRequest;
  if (data.secretVariables?.length) return 'carries a one-time code: the user requests a new one';
  if (!db) {
    db = new pg.Client({ connectionString: target.databaseUrl('notification'), connectionTimeoutMillis: 5_000 });
    await db.connect().catch((error: Error) => {
      throw new Error(`notification database at ${redactUrl(target.databaseUrl('notification'))}: ${error.message}`);
    });
  }
  const { rows } = await db.query<{ status: string }>('select status from notifications where idempotency_key = $1', [
    data.idempotencyKey,
  ]);
  if (rows[0] && rows[0].status !== 'FAILED') return `delivery record is ${rows[0].status}`;
  await db.query(
    `update notifications set status = 'QUEUED', error_message = null, lease_job_id = null, lease_until = null, updated_at = now()
     where idempotency_key = $1 and status = 'FAILED'`,
    [data.idempotencyKey],
  );
  return null;
}

try {
  const result = await replayFailed({
    redisUrl: target.redisUrl,
    prefix: target.redisPrefix,
    queue,
    limit: flags.limit ? Number(flags.limit) : 100,
    ids: ids.length ? ids : undefined,
    dryRun: !!flags['dry-run'],
    beforeRetry: queue === QUEUES.notifications ? reopenNotification : undefined,
  });
  const verb = flags['dry-run'] ? 'would replay' : 'replayed';
  console.log(
    `${queue}: ${verb} ${result.replayed.length} job(s)${result.replayed.length ? `: ${result.replayed.join(', ')}` : ''}`,
  );
  for (const s of result.skipped) console.log(`  skipped ${s.id}: ${s.reason}`);
} catch (error) {
  console.error(`✗ ${(error as Error).message}`);
  process.exitCode = 1;
} finally {
  await (db as pg.Client | null)?.end();
}
