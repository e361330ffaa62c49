import { notificationEnv, type NotificationConfig } from '@hc/config';
import type { SubgraphDefinition } from '@hc/service';
import { buildNotificationSchema } from './schema.js';
import { entities, migrations, migrationsDir } from './mikro-orm.config.js';
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
  createRuntime: async (_config, { orm }) => {
    const { schema } = await buildNotificationSchema();
    return { schema, buildContext: (base) => ({ ...base, em: orm.em.fork() }) };
  },
};
