// Standalone notification worker (scale by running more): the only other reader of process.env.
import { loadConfig, notificationEnv } from '@hc/config';
import { createOrm, describeDbError } from '@hc/db';
import { createLogger } from '@hc/logger';
import { runProcess, StartupError } from '@hc/service';
import { entities, migrations } from './mikro-orm.config.js';
import { createWorkerTasks } from './pipeline.js';

await runProcess({
  name: 'notification-worker',
  start: async () => {
    const config = loadConfig(notificationEnv, process.env);
    const logger = createLogger('notification-worker', config);
    // Migrations belong to the subgraph (or `npm run migrate`): several workers starting together
    // must not race to apply them. A worker only checks that the schema is there.
    const orm = await createOrm({
      databaseUrl: config.DATABASE_URL,
      poolMax: config.DATABASE_POOL_MAX,
      entities,
      migrations,
      logger,
      migrate: false,
    }).catch((error) => {
      throw new StartupError(describeDbError(error, config.DATABASE_URL));
    });
    try {
      await orm.em.getConnection().execute('select 1 from notifications limit 0');
    } catch (error) {
      await orm.close();
      throw new StartupError(
        `the notification database is not ready (${(error as Error).message.split('\n')[0]}); start the notification subgraph or run \`npm run migrate\` first`,
      );
    }
    const tasks = createWorkerTasks(config, { orm, logger });
    for (const t of tasks) await t.start();
    logger.info({ concurrency: config.WORKER_CONCURRENCY }, 'notification worker ready');
    return {
      logger,
      // Active jobs may run up to the lock duration; then the connections close.
      stopTimeoutMs: config.WORKER_LOCK_MS + 15_000,
      stopSteps: [
        // Delivery drains first (active jobs finish), the queue handle and providers it uses close after.
        ...[...tasks].reverse().map((t, i) => ({ name: `worker task ${i}`, stop: t.stop })),
        { name: 'database', stop: () => orm.close() },
      ],
    };
  },
});
