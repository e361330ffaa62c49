import { ConfigError } from '@hc/config';
import type { Logger } from '@hc/logger';

/** Fails start-up with one readable line instead of a stack trace. */
export class StartupError extends Error {
  override name = 'StartupError';
}

/** One step of an orderly stop, run after the previous one finished. */
export interface StopStep {
  name: string;
  stop: () => Promise<unknown> | unknown;
}

export interface StartedProcess {
  logger: Logger;
  /** Run in this order on SIGTERM/SIGINT (e.g. stop accepting, drain workers, close pools). */
  stopSteps: StopStep[];
  /** Time allowed for all stop steps before exiting 1 (default 15 s). */
  stopTimeoutMs?: number;
}

/** Runs stop steps in order; a failing step is logged and the rest still run. Resolves true when all succeeded. */
export async function stopInOrder(steps: StopStep[], logger: Logger): Promise<boolean> {
  let ok = true;
  for (const step of steps) {
    try {
      await step.stop();
    } catch (error) {
      ok = false;
      logger.error({ step: step.name, err: (error as Error).message }, 'stop step failed');
    }
  }
  return ok;
}

/**
 * The one process lifecycle (gateway, subgraphs, notification worker, cluster primaries): starts,
 * and on the first SIGTERM/SIGINT runs the stop steps in order within `stopTimeoutMs`, exiting 0
 * when everything closed and 1 when a step failed or time ran out. Bad config (ConfigError) or a StartupError stops start-up
 * with one line on stderr, prefixed with `name`, and exit code 1.
 */
export async function runProcess(options: { name: string; start: () => Promise<StartedProcess> }): Promise<void> {
  let started: StartedProcess;
  try {
    started = await options.start();
  } catch (error) {
    if (error instanceof ConfigError || error instanceof StartupError) {
      process.stderr.write(`[${options.name}] ${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
  const { logger, stopSteps } = started;
  const timeoutMs = started.stopTimeoutMs ?? 15_000;
  let stopping = false;
  const shutdown = async (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    const timer = setTimeout(() => {
      logger.error({ timeoutMs }, 'stop timed out');
      process.exit(1);
    }, timeoutMs).unref();
    const ok = await stopInOrder(stopSteps, logger);
    clearTimeout(timer);
    logger.info('stopped');
    process.exit(ok ? 0 : 1);
  };
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
  process.once('SIGINT', () => void shutdown('SIGINT'));
}
