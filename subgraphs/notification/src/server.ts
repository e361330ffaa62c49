import { notificationEnv, type NotificationConfig } from '@hc/config';
import { OutboxRelay, reconcileSettings } from '@hc/jobs';
import type { SubgraphDefinition } from '@hc/service';
import { buildNotificationSchema } from './schema.js';
import { entities, migrations, migrationsDir } from './mikro-orm.config.js';
import { createOpsQueue, createWorkerTasks } from './pipeline.js';
import { seedDefaultTemplates } from './modules/template/template.defaults.js';
import { twilioStatusRoute } from './modules/receipts/twilio.webhook.js';
import type { NotificationSubgraphContext } from './context.js';

/** The notification subgraph: templates, preferences, history, and the delivery worker. */
export const notificationSubgraph: SubgraphDefinition<NotificationConfig, NotificationSubgraphContext> = {
  name: 'notification',
  envSchema: notificationEnv,
  port: (c) => c.NOTIFICATION_PORT,
  entities,
  migrations,
  migrationsDir,
  buildSchema: buildNotificationSchema,
  createRuntime: async (config, { orm, logger }) => {
    const { schema } = await buildNotificationSchema();
    const seeded = await seedDefaultTemplates(orm.em.fork());
    if (seeded > 0) logger.info({ seeded }, 'default notification templates added');
    if (config.NODE_ENV === 'production' && !config.SMTP_URL) logger.warn('SMTP_URL is not set: email messages will fail');
    const ops = createOpsQueue(config);
    // sendNotification writes to this subgraph's own outbox, like every producer.
    const relay = new OutboxRelay({
      orm,
      redisUrl: config.REDIS_URL,
      prefix: config.REDIS_PREFIX,
      logger,
      reconcile: reconcileSettings(config),
    });
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
        { start: () => relay.start(), stop: () => relay.stop() },
        ...(config.RUN_WORKER ? createWorkerTasks(config, { orm, logger }) : []),
      ],
    };
  },
};
