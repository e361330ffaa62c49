// npm run ops:audit-verify [-- --service doctor] [--grace 60] [--anchors heads.jsonl] [--export-heads heads.jsonl] [--json]
// Walks each subgraph's audit hash chain and auth's collected copy; names the first broken or
// missing link (service, sequence, event id) and exits 1 when there is one. See docs/privacy.md.
import { appendFileSync, readFileSync } from 'node:fs';
import pg from 'pg';
import { chainHead, pgQuery, verifyTrail, type ChainAnchor } from '@hc/audit';
import { parseFlags, resolveTarget } from './connect.ts';

/** The subgraphs that keep an audit trail (notification holds no health data). */
const AUDITED = ['auth', 'doctor', 'pharmacy'];

const flags = parseFlags(process.argv.slice(2), {
  service: 'string',
  grace: 'string',
  anchors: 'string',
  'export-heads': 'string',
  json: 'boolean',
});
const target = resolveTarget();
const services = flags.service ? [String(flags.service)] : AUDITED;
const clients: Record<string, pg.Client> = {};
const redact = (url: string) => url.replace(/\/\/([^:@/]*):[^@/]*@/, '//$1:***@');

try {
  for (const service of new Set([...services, 'auth'])) {
    const url = target.databaseUrl(service);
    const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5_000 });
    await client.connect().catch((error: Error) => {
      throw new Error(`cannot reach ${service}'s database at ${redact(url)}: ${error.message}`);
    });
    clients[service] = client;
  }
  const anchors: ChainAnchor[] = flags.anchors
    ? readFileSync(String(flags.anchors), 'utf8')
        .split('\n')
        .filter((l) => l.trim())
        .map((l) => JSON.parse(l) as ChainAnchor)
    : [];
  const report = await verifyTrail(Object.fromEntries(services.map((s) => [s, pgQuery(clients[s])])), pgQuery(clients.auth), {
    graceSeconds: flags.grace === undefined ? 60 : Number(flags.grace),
    anchors,
  });
  if (flags['export-heads'] && report.ok) {
    const at = new Date().toISOString();
    for (const s of services) {
      appendFileSync(String(flags['export-heads']), `${JSON.stringify({ ...(await chainHead(pgQuery(clients[s]), s)), at })}\n`);
    }
  }
  if (flags.json) console.log(JSON.stringify(report, null, 2));
  else {
    for (const c of report.chains) {
      console.log(
        c.ok
          ? `✓ ${c.service}: chain of ${c.checked} links intact, head seq ${c.head.seq} ${c.head.hash}`
          : `✗ ${c.service}: chain broken at seq ${c.broken!.seq} (event ${c.broken!.eventId ?? '-'}): ${c.broken!.reason}`,
      );
    }
    for (const c of report.collected) {
      console.log(
        c.ok
          ? `✓ ${c.service}: ${c.expected} relayed links all in auth's collected copy (${c.pending} not yet relayed)`
          : `✗ ${c.service}: collected copy incomplete at seq ${c.missing!.seq} (event ${c.missing!.eventId}): ${c.missing!.reason}`,
      );
    }
    for (const a of report.anchors) console.log(`✗ ${a.service}: anchor at seq ${a.seq} does not match: ${a.reason}`);
  }
  process.exitCode = report.ok ? 0 : 1;
} catch (error) {
  console.error(`✗ ${(error as Error).message}`);
  process.exitCode = 2;
} finally {
  await Promise.all(Object.values(clients).map((c) => c.end().catch(() => undefined)));
}
