import os from 'node:os';
import { ServiceUnavailableError, type GateMetrics, type GateStats } from '@hc/graphql';

export interface HashGateOptions {
  /** Most bcrypt operations running at once (each holds one libuv thread-pool thread and one core). */
  concurrency: number;
  /** Most callers waiting for a slot; one more is refused at once. */
  queue: number;
  /** Longest a caller waits for a slot; a caller whose wait would exceed it is refused. */
  maxWaitMs: number;
  /** Where waits and refusals are reported (the service's /metrics). */
  metrics?: GateMetrics;
}

interface Waiter {
  queuedAt: number;
  start: () => void;
  timer: NodeJS.Timeout;
}

/**
 * `auto`: one core fewer than the machine has (at least 1), shared among the cluster workers of
 * this service, so hashing never takes every core from the rest of the process and the machine.
 */
export function hashConcurrency(setting: number | 'auto', workers = 1, cores = os.availableParallelism()): number {
  if (setting !== 'auto') return setting;
  return Math.max(1, Math.floor((cores - 1) / Math.max(1, workers)));
}

/**
 * A FIFO concurrency gate for CPU-bound work (bcrypt): at most `concurrency` run at once, at most
 * `queue` wait, none waits longer than `maxWaitMs`. A caller turned away gets SERVICE_UNAVAILABLE
 * with a retry hint — an overloaded server answers quickly instead of queueing without bound.
 */
export class HashGate {
  private active = 0;
  private readonly waiters: Waiter[] = [];
  /** Moving average of one operation's duration (ms); 0 until the first one finished. */
  private averageMs = 0;

  constructor(readonly options: HashGateOptions) {
    if (!(options.concurrency >= 1)) throw new Error('HashGate: concurrency must be at least 1');
  }

  stats(): GateStats {
    return { inFlight: this.active, queued: this.waiters.length, limit: this.options.concurrency };
  }

  /** Runs `work` when a slot is free (FIFO); throws SERVICE_UNAVAILABLE when the caller cannot be served in time. */
  async run<T>(work: () => Promise<T>): Promise<T> {
    await this.acquire();
    const started = performance.now();
    try {
      return await work();
    } finally {
      const ms = performance.now() - started;
      this.averageMs = this.averageMs === 0 ? ms : this.averageMs * 0.8 + ms * 0.2;
      this.release();
    }
  }

  /**
   * Throws the refusal `run` would give right now (queue full, or the wait ahead longer than
   * allowed), without taking a place. Callers run it before they spend something a refusal should
   * not cost — a login attempt counted by the rate limiter, a one-time code.
   */
  admit(): void {
    const reason = this.immediateRefusal();
    if (reason) throw this.refuse(reason);
  }

  /** Why a caller arriving now would be turned away at once; null when it gets a slot or a place in line. */
  private immediateRefusal(): 'queue_full' | 'wait_exceeded' | null {
    const { concurrency, queue, maxWaitMs } = this.options;
    if (this.active < concurrency && this.waiters.length === 0) return null;
    if (this.waiters.length >= queue) return 'queue_full';
    // Everyone ahead runs first: refuse now rather than after a wait that cannot end in time.
    const rounds = Math.ceil((this.waiters.length + 1) / concurrency);
    return this.averageMs > 0 && rounds * this.averageMs > maxWaitMs ? 'wait_exceeded' : null;
  }

  private acquire(): Promise<void> {
    const { concurrency, maxWaitMs, metrics } = this.options;
    if (this.active < concurrency && this.waiters.length === 0) {
      this.active++;
      metrics?.waited(0);
      return Promise.resolve();
    }
    const refusal = this.immediateRefusal();
    if (refusal) return Promise.reject(this.refuse(refusal));
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = {
        queuedAt: performance.now(),
        start: resolve,
        timer: setTimeout(() => {
          const at = this.waiters.indexOf(waiter);
          if (at === -1) return;
          this.waiters.splice(at, 1);
          reject(this.refuse('wait_timeout'));
        }, maxWaitMs),
      };
      this.waiters.push(waiter);
    });
  }

  private release(): void {
    this.active--;
    while (this.active < this.options.concurrency && this.waiters.length > 0) {
      const next = this.waiters.shift()!;
      clearTimeout(next.timer);
      this.active++;
      this.options.metrics?.waited((performance.now() - next.queuedAt) / 1000);
      next.start();
    }
  }

  private refuse(reason: 'queue_full' | 'wait_exceeded' | 'wait_timeout'): ServiceUnavailableError {
    this.options.metrics?.refused(reason);
    // Roughly when the queue ahead will have drained.
    const drainMs = ((this.waiters.length + this.active) / this.options.concurrency) * (this.averageMs || 1000);
    const retryAfterSeconds = Math.max(1, Math.ceil(drainMs / 1000));
    return new ServiceUnavailableError(
      `Too many password checks are in progress. Try again in ${retryAfterSeconds} seconds.`,
      retryAfterSeconds,
    );
  }
}
