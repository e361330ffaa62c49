import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { EntityManager } from '@mikro-orm/postgresql';
import { lockInOrder } from './advisory-lock.js';
import { createOrm, type Orm } from './orm.js';
import { StatementCounter } from './statement-counter.js';

// Advisory locks need no tables: the server's maintenance database will do.
const url = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const counter = new StatementCounter();
let orm: Orm;

beforeAll(async () => {
  orm = await createOrm({ databaseUrl: url, entities: [], migrations: [], counter, poolMax: 4 });
});
afterAll(async () => {
  await orm?.close(true);
});

// A random prefix per run keeps parallel test runs on the same server out of each other's way.
const prefix = `lock-test:${process.pid}:${Math.random().toString(36).slice(2)}:`;
const k = (name: string) => prefix + name;

/** Which of `names` the backend `pid` holds (granted) or waits for, read through pg_locks. */
async function locksOf(pid: number, names: string[]): Promise<{ held: string[]; waiting: string[] }> {
  const rows: { name: string; granted: boolean }[] = await orm.em.getConnection().execute(
    `select n.name, l.granted
       from unnest(?::text[]) as n(name)
       join pg_locks l
         on l.locktype = 'advisory' and l.objsubid = 1 and l.pid = ?
        and l.classid = ((hashtextextended(n.name, 0) >> 32) & 4294967295)::oid
        and l.objid = (hashtextextended(n.name, 0) & 4294967295)::oid`,
    [`{${names.map((n) => `"${k(n)}"`).join(',')}}`, pid],
  );
  const strip = (s: string) => s.slice(prefix.length);
  return {
    held: rows
      .filter((r) => r.granted)
      .map((r) => strip(r.name))
      .sort(),
    waiting: rows
      .filter((r) => !r.granted)
      .map((r) => strip(r.name))
      .sort(),
  };
}

const backendPid = async (tx: EntityManager): Promise<number> =>
  (await tx.getConnection().execute('select pg_backend_pid() as pid', [], 'all', tx.getTransactionContext()))[0].pid;

async function until(check: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error('condition not reached');
}

describe('lockInOrder', () => {
  it('takes every key of a call in one statement, duplicates once, and holds them to the end of the transaction', async () => {
    const locks = counter.watch(/pg_advisory_xact_lock/);
    await orm.em.fork().transactional(async (tx) => {
      await lockInOrder(tx, [k('c'), k('a'), k('b'), k('a')]);
      const pid = await backendPid(tx);
      expect(await locksOf(pid, ['a', 'b', 'c'])).toEqual({ held: ['a', 'b', 'c'], waiting: [] });
    });
    expect(locks()).toBe(1);
    await orm.em.fork().transactional(async (tx) => {
      await lockInOrder(tx, []);
    });
    expect(locks()).toBe(1);
  });

  it('takes the keys in sorted order: blocked on the second key, it holds the first and not the third', async () => {
    let release!: () => void;
    const released = new Promise<void>((r) => (release = r));
    let holderPid = 0;
    // Another transaction holds `b`.
    const holder = orm.em.fork().transactional(async (tx) => {
      await lockInOrder(tx, [k('b')]);
      holderPid = await backendPid(tx);
      await released;
    });
    await until(async () => holderPid !== 0);

    let waiterPid = 0;
    const order: string[] = [];
    const waiter = orm.em.fork().transactional(async (tx) => {
      waiterPid = await backendPid(tx);
      await lockInOrder(tx, [k('c'), k('b'), k('a')]);
      order.push('waiter locked');
    });
    await until(async () => waiterPid !== 0 && (await locksOf(waiterPid, ['a', 'b', 'c'])).waiting.length > 0);
    // Sorted: `a` taken, waiting on `b`, `c` not yet asked for.
    expect(await locksOf(waiterPid, ['a', 'b', 'c'])).toEqual({ held: ['a'], waiting: ['b'] });
    expect(order).toEqual([]);

    order.push('holder released');
    release();
    await Promise.all([holder, waiter]);
    expect(order).toEqual(['holder released', 'waiter locked']);
  });
});
