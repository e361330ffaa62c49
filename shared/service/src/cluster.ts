import cluster from 'node:cluster';
import os from 'node:os';
import type { Logger } from '@hc/logger';

/** "auto" = one per core. */
export const workerCount = (setting: number | 'auto'): number => (setting === 'auto' ? os.availableParallelism() : setting);

/**
 * The primary of a node:cluster: forks `count` workers that share the listening port, replaces
 * a worker that dies, and on SIGTERM/SIGINT passes the signal on and exits when every worker has
 * drained. `env` is added to the workers' environment.
 */
export function superviseWorkers(count: number, logger: Logger, env: Record<string, string> = {}): void {
  let stopping = false;
  const fork = () => cluster.fork(env);
  for (let i = 0; i < count; i++) fork();
  cluster.on('exit', (worker, code, signal) => {
    if (stopping) {
      if (Object.keys(cluster.workers ?? {}).length === 0) process.exit(0);
      return;
    }
    logger.error({ pid: worker.process.pid, code, signal }, 'worker died; starting another');
    fork();
  });
  logger.info({ workers: count }, 'primary started');
  const shutdown = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'stopping workers');
    setTimeout(() => process.exit(1), 20_000).unref();
    for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill('SIGTERM');
  };
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  process.once('SIGINT', () => shutdown('SIGINT'));
}

export const isClusterPrimary = (): boolean => cluster.isPrimary;
