import { Worker, type Job, type WorkerOptions } from 'bullmq';
import type { Redis } from 'ioredis';
import { createRedis } from '@hc/config';
import type { Logger } from '@hc/logger';

export interface ConsumerOptions<T> {
  queue: string;
  redisUrl: string;
  prefix: string;
  logger: Logger;
  concurrency?: number;
  /** Throw to retry (with the queue's backoff); throw UnrecoverableError to fail for good. */
  handler: (job: Job<T>, token?: string) => Promise<unknown>;
  workerOptions?: Partial<WorkerOptions>;
}

/**
 * A BullMQ worker for one queue, started and stopped with the service. `stop()` waits for
 * active jobs to finish (graceful drain on SIGTERM).
 */
export function createConsumer<T>(options: ConsumerOptions<T>) {
  let worker: Worker<T> | null = null;
  let connection: Redis | null = null;
  return {
    start: () => {
      connection = createRedis(options.redisUrl, { maxRetriesPerRequest: null });
      connection.on('error', () => undefined);
      // The token lets a handler move its own job (e.g. to delayed until a scheduled time).
      worker = new Worker<T>(options.queue, (job, token) => options.handler(job, token), {
        connection,
        prefix: options.prefix,
        concurrency: options.concurrency ?? 5,
        ...options.workerOptions,
      });
      worker.on('failed', (job, err) =>
        options.logger.warn(
          { queue: options.queue, jobId: job?.id, attempts: job?.attemptsMade, err: err.message },
          'job failed',
        ),
      );
      worker.on('error', (err) => options.logger.warn({ queue: options.queue, err: err.message }, 'worker error'));
    },
    stop: async () => {
      await worker?.close();
      connection?.disconnect();
    },
    get worker() {
      return worker;
    },
  };
}
