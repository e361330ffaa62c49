// The only file of the gateway that reads process.env.
import { ConfigError, gatewayEnv, loadConfig } from '@hc/config';
import { createLogger } from '@hc/logger';
import { isClusterPrimary, superviseWorkers, workerCount } from '@hc/service';
import { createGateway } from './server.js';
import { startTracing } from './tracing.js';

let config;
try {
  config = loadConfig(gatewayEnv, process.env);
} catch (error) {
  if (error instanceof ConfigError) {
    process.stderr.write(`[gateway] ${error.message}\n`);
    process.exit(1);
  }
  throw error;
}
const logger = createLogger('gateway', config);
const workers = workerCount(config.GATEWAY_WORKERS);

if (workers > 1 && isClusterPrimary()) {
  // Workers share the port; subscriptions keep working because every worker gets its events
  // from Redis pub/sub.
  superviseWorkers(workers, logger);
} else {
  const stopTracing = await startTracing(config, logger);
  const gateway = await createGateway(config, { logger });
  const running = await gateway.listen(config.GATEWAY_PORT, config.HOST);
  logger.info({ url: `${running.url}/graphql`, pid: process.pid }, 'gateway ready');

  // SIGTERM: stop accepting, let in-flight requests finish (drain), close WebSockets, exit.
  const shutdown = async (signal: string) => {
    logger.info({ signal }, 'shutting down');
    setTimeout(() => process.exit(1), 15_000).unref();
    await running.stop();
    await stopTracing();
    process.exit(0);
  };
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
  process.once('SIGINT', () => void shutdown('SIGINT'));
}
