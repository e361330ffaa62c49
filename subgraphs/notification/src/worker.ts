// Standalone notification worker (scale by running more): the only other reader of process.env.
import { ConfigError, loadConfig, notificationEnv } from '@hc/config';
import { createOrm } from '@hc/db';
import { createLogger } from '@hc/logger';
import { entities, migrations } from './mikro-orm.config.js';
import { createWorkerTasks } from './pipeline.js';

let config;
try {
  config = loadConfig(notificationEnv, process.env);
} catch (error) {
  if (error instanceof ConfigError) {
    process.stderr.write(`[notification-worker] ${error.message}\n`);
    process.exit(1);
  }
  throw error;
}
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
});
try {
  await orm.em.getConnection().execute('select 1 from notifications limit 0');
} catch (error) {
  process.stderr.write(
    `[notification-worker] the notification database is not ready (${(error as Error).message.split('\n')[0]}); start the notification subgraph or run \`npm run migrate\` first\n`,
  );
  await orm.close();
  process.exit(1);
}
const tasks = createWorkerTasks(config, { orm, logger });
for (const t of tasks) await t.start();
logger.info({ concurrency: config.WORKER_CONCURRENCY }, 'notification worker ready');

const shutdown = async (signal: string) => {
  logger.info({ signal }, 'draining: finishing active jobs');
  const timer = setTimeout(() => process.exit(1), config.WORKER_LOCK_MS + 15_000).unref();
  for (const t of [...tasks].reverse()) await t.stop();
  await orm.close();
  clearTimeout(timer);
  logger.info('notification worker stopped');
  process.exit(0);
};
process.once('SIGTERM', () => void shutdown('SIGTERM'));
process.once('SIGINT', () => void shutdown('SIGINT'));
