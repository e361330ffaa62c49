// npm run ops:queues [-- --queue notifications] [--failed 5] [--json]
// Job counts per BullMQ queue and the latest failures (ids, attempts, reasons; never payloads).
import { redactRedisTarget } from '@hc/config';
import { parseFlags, resolveTarget } from './connect.ts';
import { queueStates } from './queues.ts';

const flags = parseFlags(process.argv.slice(2), { queue: 'string', failed: 'string', json: 'boolean' });
const target = resolveTarget();
const states = await queueStates({
  redisUrl: target.redisUrl,
  prefix: target.redisPrefix,
  queues: flags.queue ? [String(flags.queue)] : undefined,
  failedSample: flags.failed === undefined ? 5 : Number(flags.failed),
}).catch((error: Error) => {
  console.error(`✗ cannot read queues at ${redactRedisTarget(target.redisUrl)}: ${error.message}`);
  process.exit(1);
});

if (flags.json) {
  console.log(JSON.stringify(states, null, 2));
} else {
  const cols = ['waiting', 'active', 'delayed', 'prioritized', 'failed', 'completed'] as const;
  console.log(`Redis prefix "${target.redisPrefix}"\n`);
  console.log(['queue'.padEnd(22), ...cols.map((c) => c.padStart(13))].join(''));
  for (const s of states) {
    const name = `${s.queue}${s.paused ? ' (PAUSED)' : ''}`;
    console.log([name.padEnd(22), ...cols.map((c) => String(s.counts[c] ?? 0).padStart(13))].join(''));
  }
  for (const s of states.filter((x) => x.recentFailures.length)) {
    console.log(`\nLatest failures in ${s.queue}:`);
    for (const f of s.recentFailures) {
      console.log(`  ${f.id}  ${f.name}  attempts ${f.attemptsMade}  ${f.failedAt ?? ''}  ${f.failedReason}`);
    }
  }
  if (states.some((s) => s.counts.failed > 0)) console.log('\nReplay with: npm run ops:replay -- --queue <queue> [--dry-run]');
}
