import { describe, expect, it } from '@jest/globals';
import { ServiceUnavailableError, type GateMetrics } from '@hc/graphql';
import { HashGate, hashConcurrency } from './hash-gate.js';

/** Work that runs until the test releases it. */
function held() {
  let release!: () => void;
  const done = new Promise<void>((resolve) => {
    release = resolve;
  });
  return { done, release };
}

function recorder(): GateMetrics & { waits: number[]; refusals: string[] } {
  const waits: number[] = [];
  const refusals: string[] = [];
  return { waits, refusals, waited: (s) => waits.push(s), refused: (r) => refusals.push(r) };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('HashGate', () => {
  it('never runs more than its concurrency at once and starts the waiting work first come, first served', async () => {
    const gate = new HashGate({ concurrency: 2, queue: 10, maxWaitMs: 60_000 });
    const jobs = Array.from({ length: 7 }, () => held());
    const started: number[] = [];
    let running = 0;
    let most = 0;
    const results = jobs.map((job, i) =>
      gate.run(async () => {
        started.push(i);
        running++;
        most = Math.max(most, running);
        await job.done;
        running--;
        return i;
      }),
    );
    await tick();
    expect(started).toEqual([0, 1]);
    expect(gate.stats()).toEqual({ inFlight: 2, queued: 5, limit: 2 });
    // Finish them out of order: the next waiter in line takes each freed slot.
    for (const i of [1, 0, 3, 2, 4, 5, 6]) {
      jobs[i].release();
      await tick();
    }
    expect(await Promise.all(results)).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(started).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(most).toBe(2);
    expect(gate.stats()).toEqual({ inFlight: 0, queued: 0, limit: 2 });
  });

  it('refuses at once with SERVICE_UNAVAILABLE and a retry hint when the queue is full', async () => {
    const metrics = recorder();
    const gate = new HashGate({ concurrency: 1, queue: 2, maxWaitMs: 60_000, metrics });
    const job = held();
    const admitted = [0, 1, 2].map(() => gate.run(() => job.done));
    const refused = await gate.run(() => job.done).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(ServiceUnavailableError);
    expect((refused as ServiceUnavailableError).extensions).toMatchObject({ code: 'SERVICE_UNAVAILABLE' });
    expect((refused as ServiceUnavailableError).extensions.retryAfterSeconds).toBeGreaterThanOrEqual(1);
    expect(metrics.refusals).toEqual(['queue_full']);
    job.release();
    await Promise.all(admitted);
    expect(metrics.waits).toHaveLength(3);
  });

  it('admit() answers what run() would answer now, without taking a place', async () => {
    const metrics = recorder();
    const gate = new HashGate({ concurrency: 1, queue: 1, maxWaitMs: 60_000, metrics });
    const job = held();
    expect(() => gate.admit()).not.toThrow(); // a free slot
    const first = gate.run(() => job.done);
    expect(() => gate.admit()).not.toThrow(); // a place in line
    expect(gate.stats()).toEqual({ inFlight: 1, queued: 0, limit: 1 }); // admit took nothing
    const second = gate.run(() => job.done);
    expect(() => gate.admit()).toThrow(ServiceUnavailableError); // the line is full
    expect(metrics.refusals).toEqual(['queue_full']);
    job.release();
    await Promise.all([first, second]);
    expect(() => gate.admit()).not.toThrow();
  });

  it('refuses a waiter whose wait ran out, and keeps serving the others', async () => {
    const metrics = recorder();
    const gate = new HashGate({ concurrency: 1, queue: 5, maxWaitMs: 20, metrics });
    const job = held();
    const first = gate.run(() => job.done);
    const second = await gate.run(async () => 'never').catch((e: unknown) => e);
    expect(second).toBeInstanceOf(ServiceUnavailableError);
    expect(metrics.refusals).toEqual(['wait_timeout']);
    expect(gate.stats().queued).toBe(0);
    job.release();
    await first;
    await expect(gate.run(async () => 'next')).resolves.toBe('next');
  });

  it('refuses up front when the work ahead cannot finish within the longest wait', async () => {
    const metrics = recorder();
    const gate = new HashGate({ concurrency: 1, queue: 5, maxWaitMs: 10, metrics });
    // One operation of at least 30 ms teaches the gate what one costs.
    await gate.run(() => new Promise((resolve) => setTimeout(resolve, 30)));
    const job = held();
    const busy = gate.run(() => job.done);
    await expect(gate.run(async () => 'late')).rejects.toBeInstanceOf(ServiceUnavailableError);
    expect(metrics.refusals).toEqual(['wait_exceeded']);
    job.release();
    await busy;
  });

  it('frees the slot of work that failed', async () => {
    const gate = new HashGate({ concurrency: 1, queue: 0, maxWaitMs: 1000 });
    await expect(gate.run(async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    await expect(gate.run(async () => 'ok')).resolves.toBe('ok');
  });

  it('auto concurrency leaves a core free and is shared among cluster workers', () => {
    expect(hashConcurrency('auto', 1, 2)).toBe(1);
    expect(hashConcurrency('auto', 1, 1)).toBe(1);
    expect(hashConcurrency('auto', 1, 8)).toBe(7);
    expect(hashConcurrency('auto', 2, 8)).toBe(3);
    expect(hashConcurrency('auto', 8, 8)).toBe(1);
    expect(hashConcurrency(5, 2, 8)).toBe(5);
  });
});
