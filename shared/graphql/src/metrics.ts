import type { ApolloServerPlugin } from '@apollo/server';
import { collectDefaultMetrics, Counter, Gauge, Histogram, register, Registry } from 'prom-client';

/** Operation names come from clients: past this many distinct names new ones are counted as "other". */
const MAX_OPERATION_NAMES = 200;
const DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const WAIT_BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 0.75, 1, 1.5, 2, 3, 5];

/** What a concurrency gate (e.g. auth's password hashing) reports at scrape time. */
export interface GateStats {
  /** Work running now. */
  inFlight: number;
  /** Callers waiting for a slot. */
  queued: number;
  /** Most work allowed at once. */
  limit: number;
}

/** The events a concurrency gate reports as they happen. */
export interface GateMetrics {
  /** A caller got a slot after waiting this long (0 when one was free). */
  waited(seconds: number): void;
  /** A caller was turned away (`queue_full`, `wait_exceeded`, `wait_timeout`). */
  refused(reason: string): void;
}

export interface PoolStats {
  total: number;
  idle: number;
  waiting: number;
}

/**
 * One service's Prometheus registry. Each service (and each service started in-process by
 * tests) has its own registry, so series never mix between services.
 */
export class ServiceMetrics {
  readonly registry = new Registry();
  private readonly names = new Set<string>();
  private readonly requests: Counter<'operation' | 'outcome'>;
  private readonly duration: Histogram<'operation'>;
  private readonly errors: Counter<'code'>;
  private subgraphFetch?: Histogram<'subgraph' | 'outcome'>;

  constructor(readonly service: string) {
    this.registry.setDefaultLabels({ service });
    collectDefaultMetrics({ register: this.registry });
    this.requests = new Counter({
      name: 'graphql_requests_total',
      help: 'GraphQL requests by operation name and outcome (ok | error)',
      labelNames: ['operation', 'outcome'],
      registers: [this.registry],
    });
    this.duration = new Histogram({
      name: 'graphql_request_duration_seconds',
      help: 'GraphQL request duration by operation name',
      labelNames: ['operation'],
      buckets: DURATION_BUCKETS,
      registers: [this.registry],
    });
    this.errors = new Counter({
      name: 'graphql_errors_total',
      help: 'GraphQL errors sent to clients by extensions.code',
      labelNames: ['code'],
      registers: [this.registry],
    });
  }

  private operationLabel(name: string | null | undefined): string {
    if (!name) return 'anonymous';
    if (this.names.has(name)) return name;
    if (this.names.size >= MAX_OPERATION_NAMES || !/^[A-Za-z_][A-Za-z0-9_]{0,63}$/.test(name)) return 'other';
    this.names.add(name);
    return name;
  }

  /** Apollo Server plugin: counts and times every request by operation name, and its error codes. */
  plugin(): ApolloServerPlugin {
    return {
      requestDidStart: async () => {
        const started = process.hrtime.bigint();
        return {
          willSendResponse: async ({ operationName, request, response, errors }) => {
            const operation = this.operationLabel(operationName ?? request.operationName);
            const seconds = Number(process.hrtime.bigint() - started) / 1e9;
            this.duration.observe({ operation }, seconds);
            const body = response.body.kind === 'single' ? response.body.singleResult : undefined;
            const sent = body?.errors ?? [];
            this.requests.inc({ operation, outcome: sent.length || errors?.length ? 'error' : 'ok' });
            for (const e of sent) this.errors.inc({ code: String(e.extensions?.code ?? 'UNKNOWN') });
          },
        };
      },
    };
  }

  /** Times a fetch to a subgraph (gateway). */
  observeSubgraphFetch(subgraph: string, seconds: number, ok: boolean): void {
    this.subgraphFetch ??= new Histogram({
      name: 'gateway_subgraph_fetch_duration_seconds',
      help: 'Duration of gateway fetches to each subgraph',
      labelNames: ['subgraph', 'outcome'],
      buckets: DURATION_BUCKETS,
      registers: [this.registry],
    });
    this.subgraphFetch.observe({ subgraph, outcome: ok ? 'ok' : 'error' }, seconds);
  }

  /** Connection pool gauges, read at scrape time. */
  databasePool(stats: () => Promise<PoolStats | undefined> | PoolStats | undefined): void {
    new Gauge({
      name: 'db_pool_connections',
      help: 'Database pool connections by state (total | idle | waiting clients)',
      labelNames: ['state'],
      registers: [this.registry],
      async collect() {
        const s = await stats();
        if (!s) return;
        this.set({ state: 'total' }, s.total);
        this.set({ state: 'idle' }, s.idle);
        this.set({ state: 'waiting' }, s.waiting);
      },
    });
  }

  /** SQL statements sent so far (the StatementCounter the tests read). */
  statements(total: () => number): void {
    let reported = 0;
    new Counter({
      name: 'db_statements_total',
      help: 'SQL statements sent to the database',
      registers: [this.registry],
      collect() {
        const now = total();
        if (now > reported) this.inc(now - reported);
        reported = now;
      },
    });
  }

  /**
   * The series of a concurrency gate named `prefix` (e.g. `password_hash`): `<prefix>_queue_wait_seconds`
   * (histogram), `<prefix>_queue_depth`, `<prefix>_in_flight` and `<prefix>_concurrency` (gauges, read at
   * scrape time) and `<prefix>_refusals_total` by reason.
   */
  gate(prefix: string, what: string, stats: () => GateStats): GateMetrics {
    const wait = new Histogram({
      name: `${prefix}_queue_wait_seconds`,
      help: `Time ${what} waited for a slot (0 when one was free)`,
      buckets: WAIT_BUCKETS,
      registers: [this.registry],
    });
    const gauge = (name: string, help: string, read: (s: GateStats) => number) =>
      new Gauge({
        name: `${prefix}_${name}`,
        help,
        registers: [this.registry],
        collect() {
          this.set(read(stats()));
        },
      });
    gauge('queue_depth', `${what} waiting for a slot`, (s) => s.queued);
    gauge('in_flight', `${what} running now`, (s) => s.inFlight);
    gauge('concurrency', `most ${what} allowed at once`, (s) => s.limit);
    const refusals = new Counter({
      name: `${prefix}_refusals_total`,
      help: `${what} turned away (SERVICE_UNAVAILABLE) by reason: queue_full | wait_exceeded | wait_timeout`,
      labelNames: ['reason'],
      registers: [this.registry],
    });
    return {
      waited: (seconds) => wait.observe(seconds),
      refused: (reason) => refusals.inc({ reason }),
    };
  }

  /** Job counts per queue and state (waiting, active, delayed, failed), read at scrape time. */
  queues(counts: () => Promise<Record<string, Record<string, number>>>): void {
    new Gauge({
      name: 'queue_jobs',
      help: 'Jobs per queue and state; failed counts jobs that exhausted their attempts',
      labelNames: ['queue', 'state'],
      registers: [this.registry],
      async collect() {
        this.reset();
        try {
          for (const [queue, states] of Object.entries(await counts()))
            for (const [state, n] of Object.entries(states)) this.set({ queue, state }, n);
        } catch {
          // Redis down: the queue series disappear for this scrape; /ready reports the outage.
        }
      },
    });
  }

  /**
   * The Prometheus text of this service, with the process-wide series that shared packages
   * register on prom-client's default registry (e.g. jobs_reconciled_total from @hc/jobs).
   */
  async text(): Promise<string> {
    const shared = await register.metrics();
    return (await this.registry.metrics()) + (shared ? `\n${shared}` : '');
  }
}
