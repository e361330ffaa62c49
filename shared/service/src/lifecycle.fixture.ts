// A process run by lifecycle.test.ts: starts, prints "ready", and on SIGTERM runs the stop steps
// named in STEPS (ok | fail | hang), printing each as it runs.
import { createLogger } from '@hc/logger';
import { runProcess, StartupError } from './lifecycle.js';

await runProcess({
  name: 'fixture',
  start: async () => {
    if (process.env.FAIL_START) throw new StartupError('cannot start: FAIL_START is set');
    const logger = createLogger('fixture', { LOG_LEVEL: 'silent', NODE_ENV: 'test' });
    const steps = (process.env.STEPS ?? '').split(',').filter(Boolean);
    // Stands in for a server: keeps the process alive until runProcess exits it.
    setInterval(() => undefined, 60_000);
    // Printed once runProcess has installed its signal handlers (right after start resolves).
    setTimeout(() => process.stdout.write('ready\n'), 0);
    return {
      logger,
      stopTimeoutMs: 1_000,
      stopSteps: steps.map((kind, i) => ({
        name: `${kind}${i}`,
        stop: async () => {
          process.stdout.write(`stop ${kind}${i}\n`);
          if (kind === 'fail') throw new Error('step failed');
          if (kind === 'hang') await new Promise((r) => setTimeout(r, 60_000));
          await new Promise((r) => setTimeout(r, 20));
        },
      })),
    };
  },
});
