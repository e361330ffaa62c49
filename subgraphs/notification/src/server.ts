import { notificationEnv, type NotificationConfig } from '@hc/config';
import { QUEUES } from '@hc/jobs';
import type { SubgraphDefinition } from '@hc/service';
import { buildNotificationSchema } from './schema.js';
import { entities, migrations, migrationsDir } from './mikro-orm.config.js';
import { createOpsQueue } from './ops-queue.js';
import { seedDefaultTemplates } from './modules/template/template.defaults.js';
import { twilioStatusRoute } from './modules/receipts/twilio.webhook.js';
import { applyUserChanged } from './modules/contact/contact.consumer.js';
import type { NotificationSubgraphContext } from './context.js';
import { notificationRetention } from './retention.js';

/** The notification subgraph: templates, preferences, history, and the delivery worker. */
export const notificationSubgraph: SubgraphDefinition<NotificationConfig, NotificationSubgraphContext> = {
  name: 'notification',
  envSchema: notificationEnv,
  port: (c) => c.NOTIFICATION_PORT,
  entities,
  migrations,
  migrationsDir,
  buildSchema: buildNotificationSchema,
  // sendNotification writes to this subgraph's own outbox, like every producer.
  outboxRelay: true,
  retention: notificationRetention,
  consumes: [
    {
      queue: QUEUES.notificationEvents,
      handlers: { 'user.changed': (event, { orm }) => applyUserChanged(orm, event) },
    },
  ],
  // Drained by the delivery worker (in this process with RUN_WORKER, or src/worker.ts).
  observedQueues: [QUEUES.notifications],
  createRuntime: async (config, { orm, logger }) => {
    const { schema } = await buildNotificationSchema();
    const seeded = await seedDefaultTemplates(orm.em.fork());
    if (seeded > 0) logger.info({ seeded }, 'default notification templates added');
    if (config.NODE_ENV === 'production' && !config.SMTP_URL) logger.warn('SMTP_URL is not set: email messages will fail');
    const ops = createOpsQueue(config);
    const receipts =
      config.TWILIO_STATUS_CALLBACK_URL && config.TWILIO_AUTH_TOKEN
        ? twilioStatusRoute({ orm, authToken: config.TWILIO_AUTH_TOKEN, callbackUrl: config.TWILIO_STATUS_CALLBACK_URL, logger })
        : undefined;
    return {
      schema,
      routes: receipts,
      buildContext: (base) => ({ ...base, em: orm.em.fork(), queue: ops.queue }),
      background: [
        { start: () => undefined, stop: () => ops.close() },
        // The delivery side (providers: nodemailer, web-push, …) is loaded only where it runs.
        ...(config.RUN_WORKER ? (await import('./pipeline.js')).createWorkerTasks(config, { orm, logger }) : []),
      ],
    };
  },
};
