import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { createRedis } from '@hc/config';
import type { MikroORM } from '@mikro-orm/postgresql';
import type { Logger } from '@hc/logger';
import { redactSecrets, route, type NotificationRequest } from './topics.js';
import { DEFAULT_RECONCILE, OutboxReconciler, type ReconcileSettings } from './reconcile.js';

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms);
    p.then(
      (v) => (clearTimeout(t), resolve(v)),
      (e) => (clearTimeout(t), reject(e)),
    );
  });
}

export interface RelayOptions {
  orm: MikroORM;
  redisUrl: string;
  /** BullMQ key prefix (REDIS_PREFIX). */
  prefix: string;
  logger: Logger;
  pollMs?: number;
  batchSize?: number;
  /**
   * Also re-publish rows whose job Redis lost (OutboxReconciler), with the subgraph's RECONCILE_*
   * settings (`reconcileSettings(config)`); absent = the defaults, `false` = off.
   */
  reconcile?: ReconcileSettings | false;
}

/**
 * Moves committed outbox rows into BullMQ. Rows are claimed with FOR UPDATE SKIP LOCKED inside a
 * transaction, published with the outbox id as jobId, and marked published in the same
 * transaction: several relays never double-publish, and a row is only marked once BullMQ has
 * it. If Redis is down the transaction rolls back and the rows wait for the next tick, so a
 * committed row is never dropped. Worst case (crash after add, before commit) the row is
 * published again with the same jobId, which BullMQ ignores.
 */
export class OutboxRelay {
  private readonly redis: Redis;
  private readonly queues = new Map<string, Queue>();
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private stopped = false;
  private failures = 0;
  readonly reconciler: OutboxReconciler | null;

  constructor(private readonly options: RelayOptions) {
    // Fail fast while Redis is down instead of buffering inside an open transaction.
    this.redis = createRedis(options.redisUrl, {
      maxRetriesPerRequest: 1,
      enableOfflineQueue: false,
      lazyConnect: true,
      retryStrategy: (n) => Math.min(n * 200, 2_000),
    });
    this.redis.on('error', () => undefined);
    const reconcile = options.reconcile ?? DEFAULT_RECONCILE;
    this.reconciler = reconcile
      ? new OutboxReconciler({
          ...reconcile,
          orm: options.orm,
          redisUrl: options.redisUrl,
          prefix: options.prefix,
          logger: options.logger,
        })
      : null;
  }

  private queue(name: string): Queue {
    let q = this.queues.get(name);
    if (!q) {
      q = new Queue(name, { connection: this.redis, prefix: this.options.prefix });
      q.on('error', () => undefined);
      this.queues.set(name, q);
    }
    return q;
  }

  /** Publishes one batch; returns how many rows were published. */
  async tick(): Promise<number> {
    if (this.redis.status === 'wait' || this.redis.status === 'end') await this.redis.connect().catch(() => undefined);
    // BullMQ waits forever for a ready connection: check first, so rows are not held locked.
    if (this.redis.status !== 'ready') throw new Error(`outbox relay: publish failed: Redis ${this.redis.status}`);
    const em = this.options.orm.em.fork();
    return em.transactional(async (tx) => {
      const conn = tx.getConnection();
      const trx = tx.getTransactionContext();
      const rows = await conn.execute<{ id: string; topic: string; payload: unknown }[]>(
        `select id, topic, payload from outbox where published_at is null order by created_at limit ? for update skip locked`,
        [this.options.batchSize ?? 100],
        'all',
        trx,
      );
      if (rows.length === 0) return 0;
      try {
        for (const row of rows) {
          for (const d of route(row.topic, row.payload, row.id)) {
            await withTimeout(this.queue(d.queue).add(d.name, d.data, d.opts), 5_000);
          }
        }
      } catch (error) {
        throw Object.assign(new Error(`outbox relay: publish failed: ${(error as Error).message}`), { cause: error });
      }
      await conn.execute(
        `update outbox set published_at = now(), attempts = attempts + 1 where id in (?)`,
        [rows.map((r) => r.id)],
        'run',
        trx,
      );
      // The queue now holds the message; the published row keeps no OTP or reset code in clear.
      for (const row of rows) {
        const request = row.payload as Partial<NotificationRequest>;
        if (row.topic !== 'notification.send' || !request.secretVariables?.length || !request.variables) continue;
        const redacted = redactSecrets(request as NotificationRequest);
        await conn.execute(`update outbox set payload = ? where id = ?`, [JSON.stringify(redacted), row.id], 'run', trx);
      }
      return rows.length;
    });
  }

  private schedule(ms: number) {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.running = this.loop();
    }, ms);
    this.timer.unref?.();
  }

  private async loop(): Promise<void> {
    let published = 0;
    try {
      published = await this.tick();
      this.failures = 0;
    } catch (error) {
      this.failures += 1;
      if (this.failures === 1 || this.failures % 20 === 0)
        this.options.logger.warn({ err: (error as Error).message }, 'outbox relay waiting for Redis');
    }
    const base = this.options.pollMs ?? 200;
    this.schedule(published > 0 ? 0 : Math.min(base * 2 ** Math.min(this.failures, 5), 5_000));
  }

  start(): void {
    this.stopped = false;
    this.schedule(0);
    this.reconciler?.start();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.reconciler?.stop();
    if (this.timer) clearTimeout(this.timer);
    await this.running;
    await Promise.all([...this.queues.values()].map((q) => q.close().catch(() => undefined)));
    this.redis.disconnect();
  }
}
