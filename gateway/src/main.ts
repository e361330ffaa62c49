// The only file of the gateway that reads process.env.
import { gatewayEnv, loadConfig } from '@hc/config';
import { createLogger } from '@hc/logger';
import { isClusterPrimary, runProcess, superviseWorkers, workerCount } from '@hc/service/process';
import { createGateway } from './server.js';
import { startTracing } from './tracing.js';

// Apollo Gateway otherwise reports host data (OS, CPU count and frequency, memory, cloud
// resource attributes) to Apollo every few minutes over HTTPS: nothing of ours to send from a
// health platform, and TLS handshakes retried for nothing where there is no way out. An operator
// who wants it sets APOLLO_TELEMETRY_DISABLED=false.
process.env.APOLLO_TELEMETRY_DISABLED ??= 'true';

await runProcess({
  name: 'gateway',
  start: async () => {
    const config = loadConfig(gatewayEnv, process.env);
    const logger = createLogger('gateway', config);
    const workers = workerCount(config.GATEWAY_WORKERS);
    if (workers > 1 && isClusterPrimary()) {
      // Workers share the port; subscriptions keep working because every worker gets its events
      // from Redis pub/sub.
      const supervisor = superviseWorkers(workers, logger);
      return { logger, stopSteps: [{ name: 'workers', stop: supervisor.stop }], stopTimeoutMs: 20_000 };
    }
    const stopTracing = await startTracing(config, logger);
    const gateway = await createGateway(config, { logger });
    const running = await gateway.listen(config.GATEWAY_PORT, config.HOST);
    logger.info({ url: `${running.url}/graphql`, pid: process.pid }, 'gateway ready');
    // Stop accepting, let in-flight requests finish (drain), close WebSockets, then flush traces.
    return {
      logger,
      stopSteps: [
        { name: 'http', stop: running.stop },
        { name: 'tracing', stop: stopTracing },
      ],
    };
  },
});
