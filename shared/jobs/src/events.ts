import { UnrecoverableError, type Job } from 'bullmq';
import type { Logger } from '@hc/logger';
import { createConsumer } from './consumer.js';
import type { Topic, TopicPayloads } from './topics.js';

/** Handles one event; throw to retry with the queue's backoff, UnrecoverableError to fail for good. */
export type EventHandler<T, Ctx> = (event: T, context: Ctx & { job: Job<T> }) => Promise<unknown>;

/** Handlers of one queue by job name (= outbox topic). */
export type EventHandlers<Ctx> = { [K in Topic]?: EventHandler<TopicPayloads[K], Ctx> };

/** A queue a service consumes and what it does with each event name arriving there. */
export interface ConsumedQueue<Ctx> {
  queue: string;
  handlers: EventHandlers<Ctx>;
  concurrency?: number;
}

/**
 * Looks a job's handler up by its name. A name with no handler (a producer deployed before this
 * consumer learned the event) is logged as an error and the job fails for good: the consumer keeps
 * running, and the job stays in the queue's failed set to replay (`npm run ops:replay`) once a
 * handler exists.
 */
export function dispatchEvent<Ctx>(
  consumed: ConsumedQueue<Ctx>,
  context: Ctx,
  logger: Logger,
): (job: Job<unknown>) => Promise<unknown> {
  return async (job) => {
    const handler = consumed.handlers[job.name as Topic] as EventHandler<unknown, Ctx> | undefined;
    if (!handler) {
      logger.error({ queue: consumed.queue, jobName: job.name, jobId: job.id }, 'no handler for this event; job failed');
      throw new UnrecoverableError(`no handler for ${job.name} on ${consumed.queue}`);
    }
    return handler(job.data, { ...context, job });
  };
}

/** One BullMQ worker for a consumed queue, dispatching by job name (see dispatchEvent). */
export function createEventConsumer<Ctx>(options: {
  consumed: ConsumedQueue<Ctx>;
  context: Ctx;
  redisUrl: string;
  prefix: string;
  logger: Logger;
}) {
  return createConsumer<unknown>({
    queue: options.consumed.queue,
    redisUrl: options.redisUrl,
    prefix: options.prefix,
    logger: options.logger,
    concurrency: options.consumed.concurrency,
    handler: dispatchEvent(options.consumed, options.context, options.logger),
  });
}
