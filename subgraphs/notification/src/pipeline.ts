import type { MikroORM } from '@mikro-orm/postgresql';
import type { NotificationConfig } from '@hc/config';
import type { Logger } from '@hc/logger';
import { createConsumer, NOTIFICATION_BACKOFF_TYPE, QUEUES, reconcileSettings } from '@hc/jobs';
import type { BackgroundTask } from '@hc/service';
import { DeliveryProcessor, notificationBackoff } from './modules/notification/notification.worker.js';
import { NotificationReconciler } from './modules/notification/notification.reconciler.js';
import { createProviders } from './modules/providers/index.js';
import { createOpsQueue } from './ops-queue.js';

/**
 * The worker side of the pipeline: delivery of `notifications` jobs. Runs inside the subgraph
 * (RUN_WORKER=true) or alone (src/worker.ts); add instances to scale. The contact copy from
 * `notification-events` is not here: the subgraph consumes it (see server.ts).
 * `stop()` lets active jobs finish (SIGTERM drain).
 */
export function createWorkerTasks(config: NotificationConfig, deps: { orm: MikroORM; logger: Logger }): BackgroundTask[] {
  const providers = createProviders(config, deps.logger);
  const ops = createOpsQueue(config);
  const processor = new DeliveryProcessor({
    orm: deps.orm,
    providers,
    logger: deps.logger,
    attempts: config.JOB_ATTEMPTS,
    leaseMs: config.PROVIDER_TIMEOUT_MS + config.WORKER_LOCK_MS,
    queue: ops.queue,
  });
  const backoff = notificationBackoff(config.JOB_BACKOFF_MS);
  const delivery = createConsumer({
    queue: QUEUES.notifications,
    redisUrl: config.REDIS_URL,
    prefix: config.REDIS_PREFIX,
    logger: deps.logger,
    concurrency: config.WORKER_CONCURRENCY,
    handler: processor.process,
    workerOptions: {
      lockDuration: config.WORKER_LOCK_MS,
      stalledInterval: config.WORKER_LOCK_MS,
      settings: { backoffStrategy: (attemptsMade, type) => (type === NOTIFICATION_BACKOFF_TYPE ? backoff(attemptsMade) : 1_000) },
    },
  });
  const reconciler = new NotificationReconciler({
    ...reconcileSettings(config),
    orm: deps.orm,
    redisUrl: config.REDIS_URL,
    prefix: config.REDIS_PREFIX,
    logger: deps.logger,
  });
  // Stopped in reverse order: delivery drains first, the queue handle it uses closes last.
  return [
    {
      start: () => undefined,
      stop: async () => {
        for (const p of Object.values(providers)) p.close?.();
        await ops.close();
      },
    },
    { start: () => delivery.start(), stop: () => delivery.stop() },
    { start: () => reconciler.start(), stop: () => reconciler.stop() },
  ];
}
