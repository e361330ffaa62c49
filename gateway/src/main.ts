// The only file of the gateway that reads process.env.
import { ConfigError, gatewayEnv, loadConfig } from '@hc/config';
import { createLogger } from '@hc/logger';
import { createGateway } from './server.js';

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
const gateway = await createGateway(config, { logger });
const running = await gateway.listen(config.GATEWAY_PORT, config.HOST);
logger.info({ url: `${running.url}/graphql` }, 'gateway ready');

const shutdown = async (signal: string) => {
  logger.info({ signal }, 'shutting down');
  setTimeout(() => process.exit(1), 15_000).unref();
  await running.stop();
  process.exit(0);
};
process.once('SIGTERM', () => void shutdown('SIGTERM'));
process.once('SIGINT', () => void shutdown('SIGINT'));
