import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { Counter, register } from 'prom-client';
import type { EntityManager, MikroORM } from '@mikro-orm/postgresql';
import { createRedis } from '@hc/config';
import type { Logger } from '@hc/logger';
import { route } from './topics.js';

/**
 * Jobs put back into BullMQ because Redis no longer had them (restart without persistence,
 * failover with asynchronous replication, FLUSHALL). Registered on prom-client's default
 * registry, which every service's /metrics also serves.
 */
export const reconciledJobs =
  (register.getSingleMetric('jobs_reconciled_total') as Counter<'source' | 'queue'> | undefined) ??
  new Counter({
    name: 'jobs_reconciled_total',
    help: 'Jobs re-enqueued by the reconciler because Redis had lost them (source: outbox | notifications)',
    labelNames: ['source', 'queue'],
  });

/** Timings shared by both reconcilers (RECONCILE_* settings). */
export interface ReconcileSettings {
  /** Time between runs. */
  intervalMs: number;
  /** Work younger than this is left alone: its job may be on its way. */
  minAgeMs: number;
  /** Published outbox rows older than this (and not scheduled later) are no longer checked. */
  windowMs: number;
}

/** The RECONCILE_* defaults (60 s, 60 s, 6 h). */
export const DEFAULT_RECONCILE: ReconcileSettings = { intervalMs: 60_000, minAgeMs: 60_000, windowMs: 6 * 3_600_000 };

/** RECONCILE_* settings from a subgraph's config. */
export function reconcileSettings(config: {
  RECONCILE_INTERVAL_SECONDS: number;
  RECONCILE_MIN_AGE_SECONDS: number;
  RECONCILE_WINDOW_SECONDS: number;
}): ReconcileSettings {
  return {
    intervalMs: config.RECONCILE_INTERVAL_SECONDS * 1000,
    minAgeMs: config.RECONCILE_MIN_AGE_SECONDS * 1000,
    windowMs: config.RECONCILE_WINDOW_SECONDS * 1000,
  };
}

export interface ReconcileLoopOptions {
  orm: MikroORM;
  /** Advisory-lock key: one runner per database across every process. */
  lockKey: string;
  intervalMs: number;
  logger: Logger;
  /**
   * One pass; returns how many jobs it re-enqueued. Its SQL goes through `tx`, the transaction
   * that holds the lock: a second connection would wait forever on a one-backend database (the
   * embedded PGlite of `npm start`).
   */
  run: (tx: EntityManager) => Promise<number>;
}

/**
 * Runs `run` every interval in at most one process at a time: each pass holds a transaction-scoped
 * PostgreSQL advisory lock (pg_try_advisory_xact_lock), so other instances skip that pass instead
 * of re-enqueueing the same jobs in parallel. A crashed runner's lock ends with its connection.
 */
export class ReconcileLoop {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<unknown> | null = null;
  private stopped = true;

  constructor(private readonly options: ReconcileLoopOptions) {}

  /** One pass now; null when another process holds the lock. */
  async runOnce(): Promise<number | null> {
    return this.options.orm.em.fork().transactional(async (tx) => {
      const [row] = await tx
        .getConnection()
        .execute<{ locked: boolean }[]>(
          `select pg_try_advisory_xact_lock(hashtextextended(?, 0)) as locked`,
          [`reconcile:${this.options.lockKey}`],
          'all',
          tx.getTransactionContext(),
        );
      if (!row?.locked) return null;
      return this.options.run(tx);
    });
  }

  private schedule(ms: number) {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.running = this.runOnce()
        .then((n) => {
          if (n) this.options.logger.warn({ reconciler: this.options.lockKey, reenqueued: n }, 'jobs lost by Redis re-enqueued');
        })
        .catch((error: Error) =>
          this.options.logger.warn({ reconciler: this.options.lockKey, err: error.message }, 'reconcile failed'),
        )
        .finally(() => this.schedule(this.options.intervalMs));
    }, ms);
    this.timer.unref?.();
  }

  start(): void {
    this.stopped = false;
    this.schedule(this.options.intervalMs);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running?.catch(() => undefined);
  }
}

/** BullMQ queues on one connection, for existence checks and re-adds. */
export class QueueSet {
  readonly redis: Redis;
  private readonly queues = new Map<string, Queue>();

  constructor(
    redisUrl: string,
    private readonly prefix: string,
  ) {
    this.redis = createRedis(redisUrl, { maxRetriesPerRequest: 1, enableOfflineQueue: false, lazyConnect: true });
    this.redis.on('error', () => undefined);
  }

  async ready(): Promise<void> {
    if (this.redis.status === 'wait' || this.redis.status === 'end') await this.redis.connect().catch(() => undefined);
    if (this.redis.status !== 'ready') throw new Error(`Redis ${this.redis.status}`);
  }

  get(name: string): Queue {
    let q = this.queues.get(name);
    if (!q) {
      q = new Queue(name, { connection: this.redis, prefix: this.prefix });
      q.on('error', () => undefined);
      this.queues.set(name, q);
    }
    return q;
  }

  /** Which of these job ids BullMQ no longer holds (in any state). One round trip. */
  async missing(queue: string, jobIds: string[]): Promise<Set<string>> {
    if (jobIds.length === 0) return new Set();
    const q = this.get(queue);
    const pipeline = this.redis.pipeline();
    for (const id of jobIds) pipeline.exists(q.toKey(id));
    const results = (await pipeline.exec()) ?? [];
    const gone = new Set<string>();
    results.forEach(([error, exists], i) => {
      if (error) throw error;
      if (!exists) gone.add(jobIds[i]!);
    });
    return gone;
  }

  /** Which of these job ids BullMQ holds as failed or completed. One round trip. */
  async finished(queue: string, jobIds: string[]): Promise<Set<string>> {
    if (jobIds.length === 0) return new Set();
    const q = this.get(queue);
    const pipeline = this.redis.pipeline();
    for (const id of jobIds) {
      pipeline.zscore(q.toKey('failed'), id);
      pipeline.zscore(q.toKey('completed'), id);
    }
    const results = (await pipeline.exec()) ?? [];
    const done = new Set<string>();
    jobIds.forEach((id, i) => {
      const [failed, completed] = [results[2 * i], results[2 * i + 1]];
      if (failed?.[0] || completed?.[0]) throw failed?.[0] ?? completed?.[0];
      if (failed?.[1] !== null || completed?.[1] !== null) done.add(id);
    });
    return done;
  }

  async close(): Promise<void> {
    await Promise.all([...this.queues.values()].map((q) => q.close().catch(() => undefined)));
    this.redis.disconnect();
  }
}

export interface ReconcilerOptions extends ReconcileSettings {
  orm: MikroORM;
  redisUrl: string;
  prefix: string;
  logger: Logger;
  batchSize?: number;
}

/**
 * What every reconciler shares: its queues, a loop that runs one pass at a time across processes
 * (advisory lock `lockKey`), start/stop. A reconciler supplies one pass over its own table.
 */
export abstract class Reconciler {
  readonly loop: ReconcileLoop;
  protected readonly queues: QueueSet;

  constructor(
    protected readonly options: ReconcilerOptions,
    lockKey: string,
  ) {
    this.queues = new QueueSet(options.redisUrl, options.prefix);
    this.loop = new ReconcileLoop({
      orm: options.orm,
      lockKey,
      intervalMs: options.intervalMs,
      logger: options.logger,
      run: (tx) => this.reconcile(tx),
    });
  }

  /** One pass (the loop passes its locked transaction; tests call it without); jobs re-enqueued. */
  abstract reconcile(em?: EntityManager): Promise<number>;

  start(): void {
    this.loop.start();
  }

  async stop(): Promise<void> {
    await this.loop.stop();
    await this.queues.close();
  }
}

/**
 * The producer's half of "no job can vanish": outbox rows marked published whose job Redis no
 * longer holds are published again under the same job id (the outbox id), with the delays the
 * relay would give them. Checked: rows published within `windowMs` (BullMQ keeps finished jobs
 * for a day, so a finished job is not mistaken for a lost one; outbox_published_idx). A reminder
 * set days ahead is not this side's concern after that: the worker recorded it at once, and the
 * notification reconciler rebuilds it from that record. Consumers are idempotent by job id /
 * delivery record, so a re-publish of work already done changes nothing.
 */
export class OutboxReconciler extends Reconciler {
  constructor(options: ReconcilerOptions) {
    super(options, 'outbox');
  }

  async reconcile(em: EntityManager = this.options.orm.em.fork()): Promise<number> {
    await this.queues.ready();
    const conn = em.getConnection();
    const trx = em.getTransactionContext();
    const batch = this.options.batchSize ?? 500;
    let after: { at: string; id: string } | null = null;
    let requeued = 0;
    for (;;) {
      // The cursor keeps microseconds (a JS Date would not, and the page would repeat its last row).
      const rows: { id: string; topic: string; payload: unknown; cursor: string }[] = await conn.execute(
        `select id, topic, payload, published_at::text as cursor from outbox
         where published_at is not null and published_at < now() - (? * interval '1 millisecond')
           and published_at > now() - (? * interval '1 millisecond')
           and (?::timestamptz is null or (published_at, id) > (?::timestamptz, ?::uuid))
         order by published_at, id limit ?`,
        [this.options.minAgeMs, this.options.windowMs, after?.at ?? null, after?.at ?? null, after?.id ?? null, batch],
        'all',
        trx,
      );
      if (rows.length === 0) break;
      const deliveries = rows.flatMap((row) => {
        try {
          return route(row.topic, row.payload, row.id);
        } catch {
          return [];
        }
      });
      const byQueue = new Map<string, typeof deliveries>();
      for (const d of deliveries) byQueue.set(d.queue, [...(byQueue.get(d.queue) ?? []), d]);
      for (const [queue, list] of byQueue) {
        const gone = await this.queues.missing(
          queue,
          list.map((d) => String(d.opts?.jobId)),
        );
        for (const d of list) {
          if (!gone.has(String(d.opts?.jobId))) continue;
          await this.queues.get(queue).add(d.name, d.data, d.opts);
          reconciledJobs.inc({ source: 'outbox', queue });
          requeued += 1;
        }
      }
      const last = rows[rows.length - 1]!;
      after = { at: last.cursor, id: last.id };
      if (rows.length < batch) break;
    }
    return requeued;
  }
}
