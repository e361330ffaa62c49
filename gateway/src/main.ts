// The only file of the gateway that reads process.env.
import cluster from 'node:cluster';
import os from 'node:os';
import { ConfigError, gatewayEnv, loadConfig } from '@hc/config';
import { createLogger } from '@hc/logger';
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
const workers = config.GATEWAY_WORKERS === 'auto' ? os.availableParallelism() : config.GATEWAY_WORKERS;

if (workers > 1 && cluster.isPrimary) {
  // The primary only supervises: workers share the port (the primary hands out connections),
  // and subscriptions keep working because every worker gets its events from Redis pub/sub.
  let stopping = false;
  for (let i = 0; i < workers; i++) cluster.fork();
  cluster.on('exit', (worker, code, signal) => {
    if (stopping) {
      if (Object.keys(cluster.workers ?? {}).length === 0) process.exit(0);
      return;
    }
    logger.error({ pid: worker.process.pid, code, signal }, 'gateway worker died; starting another');
    cluster.fork();
  });
  logger.info({ workers }, 'gateway primary started');
  const shutdown = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down workers');
    setTimeout(() => process.exit(1), 20_000).unref();
    for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill('SIGTERM');
  };
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  process.once('SIGINT', () => shutdown('SIGINT'));
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
