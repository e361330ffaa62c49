import { Queue } from 'bullmq';
import { createRedis, type NotificationConfig } from '@hc/config';
import { QUEUES } from '@hc/jobs';

/** The notifications queue as seen by admins (counts, failed jobs, retry) and by reschedules. */
export function createOpsQueue(config: NotificationConfig) {
  const connection = createRedis(config.REDIS_URL, { maxRetriesPerRequest: 2, lazyConnect: true });
  connection.on('error', () => undefined);
  const queue = new Queue(QUEUES.notifications, { connection, prefix: config.REDIS_PREFIX });
  queue.on('error', () => undefined);
  return {
    queue,
    close: async () => {
      await queue.close().catch(() => undefined);
      connection.disconnect();
    },
  };
}
