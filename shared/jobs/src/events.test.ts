import { randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Queue } from 'bullmq';
import { MikroORM } from '@mikro-orm/postgresql';
import { createLogger } from '@hc/logger';
import { ensureDatabase, dropDatabase, ormConfig, withDatabase } from '@hc/db';
import { applyIfNewer, createEventConsumer, OutboxMessage, type UserChangedEvent } from './index.js';

const server = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const redisUrl = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const url = withDatabase(server, `test_events_${randomUUID().slice(0, 8)}`);
const prefix = `test:events:${randomUUID().slice(0, 8)}`;
let orm: MikroORM;

beforeAll(async () => {
  await ensureDatabase(url);
  orm = await MikroORM.init(ormConfig({ databaseUrl: url, entities: [OutboxMessage], migrations: [] }));
  const conn = orm.em.getConnection();
  await conn.execute(`create table copies (id uuid primary key, name text not null, updated_at timestamptz not null)`);
  await conn.execute(
    `create table pairs (a uuid, b uuid, active boolean not null, updated_at timestamptz not null, primary key (a, b))`,
  );
});
afterAll(async () => {
  await orm.close();
  await dropDatabase(url);
});

const names = async (id: string) =>
  (await orm.em.getConnection().execute<{ name: string }[]>(`select name from copies where id = ?`, [id]))[0]?.name;

describe('applyIfNewer (read copies, newer wins)', () => {
  it('inserts, applies a newer version, ignores an older or equal one', async () => {
    const id = randomUUID();
    const at = (s: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, s));
    const put = (name: string, s: number) =>
      applyIfNewer(orm.em.fork(), { table: 'copies', key: ['id'], rows: [{ id, name, updated_at: at(s) }] });
    expect(await put('first', 10)).toHaveLength(1);
    expect(await put('newer', 20)).toEqual([{ id }]);
    expect(await put('older', 15)).toEqual([]);
    expect(await put('same time', 20)).toEqual([]);
    expect(await names(id)).toBe('newer');
  });

  it('keeps the newest of many concurrent, shuffled versions', async () => {
    const id = randomUUID();
    const versions = Array.from({ length: 30 }, (_, i) => i).sort(() => Math.random() - 0.5);
    await Promise.all(
      versions.map((v) =>
        applyIfNewer(orm.em.fork(), {
          table: 'copies',
          key: ['id'],
          rows: [{ id, name: `v${v}`, updated_at: new Date(Date.UTC(2026, 0, 1, 0, 0, v)) }],
        }),
      ),
    );
    expect(await names(id)).toBe('v29');
  });

  it('applies several rows with a composite key, each on its own version', async () => {
    const a = randomUUID();
    const [b1, b2] = [randomUUID(), randomUUID()];
    const rows = (active: boolean, at: string) => [b1, b2].map((b) => ({ a, b, active, updated_at: at }));
    await applyIfNewer(orm.em.fork(), { table: 'pairs', key: ['a', 'b'], rows: rows(true, '2026-01-01T00:00:10Z') });
    const stale = await applyIfNewer(orm.em.fork(), {
      table: 'pairs',
      key: ['a', 'b'],
      rows: rows(false, '2026-01-01T00:00:05Z'),
    });
    expect(stale).toEqual([]);
    const applied = await applyIfNewer(orm.em.fork(), {
      table: 'pairs',
      key: ['a', 'b'],
      rows: rows(false, '2026-01-01T00:00:20Z'),
    });
    expect(applied).toHaveLength(2);
    const states = await orm.em.getConnection().execute(`select active from pairs where a = ?`, [a]);
    expect(states).toEqual([{ active: false }, { active: false }]);
  });

  it('runs inside the caller transaction (rolled back with it)', async () => {
    const id = randomUUID();
    await expect(
      orm.em.fork().transactional(async (tx) => {
        await applyIfNewer(tx, { table: 'copies', key: ['id'], rows: [{ id, name: 'x', updated_at: new Date() }] });
        throw new Error('abort');
      }),
    ).rejects.toThrow('abort');
    expect(await names(id)).toBeUndefined();
  });

  it('refuses identifiers that are not plain names', async () => {
    await expect(
      applyIfNewer(orm.em.fork(), {
        table: 'copies; drop table copies',
        key: ['id'],
        rows: [{ id: randomUUID(), updated_at: new Date() }],
      }),
    ).rejects.toThrow(/identifier/);
  });
});

describe('createEventConsumer (handlers by job name)', () => {
  it('runs the handler of each name; an unknown name fails that job loudly and the consumer goes on', async () => {
    const lines: Record<string, unknown>[] = [];
    const sink = new Writable({
      write(chunk, _enc, done) {
        for (const line of String(chunk).split('\n')) if (line.trim()) lines.push(JSON.parse(line));
        done();
      },
    });
    const logger = createLogger('events-test', { LOG_LEVEL: 'info', NODE_ENV: 'development' }, sink);
    const seen: string[] = [];
    const queueName = `events-${randomUUID().slice(0, 6)}`;
    const consumer = createEventConsumer({
      consumed: {
        queue: queueName,
        handlers: {
          'user.changed': async (event, { job, tag }) => {
            seen.push(`${tag}:${job.name}:${event.userId}`);
          },
        },
      },
      context: { tag: 'ctx' },
      redisUrl,
      prefix,
      logger,
    });
    const queue = new Queue(queueName, { connection: { url: redisUrl }, prefix });
    consumer.start();
    try {
      const event = (userId: string): UserChangedEvent => ({
        userId,
        name: 'n',
        email: 'e@example.com',
        phone: null,
        role: 'PATIENT',
        isVerified: true,
        updatedAt: new Date().toISOString(),
      });
      await queue.add('user.changed', event('u1'));
      const unknown = await queue.add('prescription.changed', { prescriptionId: 'p1' });
      await queue.add('user.changed', event('u2'));
      const until = Date.now() + 15_000;
      while (Date.now() < until && (seen.length < 2 || (await unknown.getState()) !== 'failed')) {
        await new Promise((r) => setTimeout(r, 50));
      }
      expect(seen.sort()).toEqual(['ctx:user.changed:u1', 'ctx:user.changed:u2']);
      const failed = await queue.getJob(unknown.id!);
      expect(await failed!.getState()).toBe('failed');
      expect(failed!.attemptsMade).toBe(1); // not retried: a missing handler does not appear by waiting
      expect(failed!.failedReason).toContain('no handler for prescription.changed');
      expect(lines).toContainEqual(
        expect.objectContaining({ level: 'error', queue: queueName, jobName: 'prescription.changed', jobId: unknown.id }),
      );
    } finally {
      await consumer.stop();
      await queue.obliterate({ force: true });
      await queue.close();
    }
  });
});
