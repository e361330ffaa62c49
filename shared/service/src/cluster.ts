import cluster from 'node:cluster';
import os from 'node:os';
import type { Logger } from '@hc/logger';

/** "auto" = one per core. */
export const workerCount = (setting: number | 'auto'): number => (setting === 'auto' ? os.availableParallelism() : setting);

/**
 * The primary of a node:cluster: forks `count` workers that share the listening port and replaces
 * a worker that dies. `stop()` (a stop step for runProcess, which handles the signals) passes
 * SIGTERM on and resolves when every worker has drained and exited. `env` is added to the
 * workers' environment.
 */
export function superviseWorkers(count: number, logger: Logger, env: Record<string, string> = {}): { stop: () => Promise<void> } {
  let stopping = false;
  const fork = () => cluster.fork(env);
  for (let i = 0; i < count; i++) fork();
  cluster.on('exit', (worker, code, signal) => {
    if (stopping) return;
    logger.error({ pid: worker.process.pid, code, signal }, 'worker died; starting another');
    fork();
  });
  logger.info({ workers: count }, 'primary started');
  return {
    stop: async () => {
      stopping = true;
      const alive = Object.values(cluster.workers ?? {}).filter((w) => w && !w.isDead());
      logger.info({ workers: alive.length }, 'stopping workers');
      await Promise.all(
        alive.map(
          (worker) =>
            new Promise<void>((resolve) => {
              worker!.once('exit', () => resolve());
              worker!.process.kill('SIGTERM');
            }),
        ),
      );
    },
  };
}

export const isClusterPrimary = (): boolean => cluster.isPrimary;
