// The embedded database server and npm start's choices, without starting the services.
import { connect, type Socket } from 'node:net';
import { describe, expect, it } from '@jest/globals';
import pg from 'pg';
import { startEmbeddedPostgres } from '../../scripts/embedded/postgres.ts';
import { chooseDatabase, chooseRedis, nothingListens, probePostgres } from '../../scripts/embedded/decide.ts';
import { freePort } from '../../scripts/embedded/runtime.ts';

const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
const badPassword = Object.assign(new Error('password authentication failed'), { code: '28P01' });
const noProbe = async () => {
  throw new Error('must not probe');
};

describe('which database npm start uses', () => {
  const base = {
    mode: 'auto' as const,
    databaseUrl: undefined,
    serverUrl: 'postgres://postgres@127.0.0.1:5432/postgres',
    needed: true,
  };

  it('uses the local server when it answers, embedded PGlite when nothing listens', async () => {
    expect(await chooseDatabase({ ...base, probe: async () => null })).toEqual({ kind: 'server' });
    expect(await chooseDatabase({ ...base, probe: async () => refused })).toEqual({ kind: 'embedded' });
  });

  it('reports a server that answers but refuses us instead of hiding it behind PGlite', async () => {
    expect(await chooseDatabase({ ...base, probe: async () => badPassword })).toEqual({ kind: 'error', error: badPassword });
  });

  it('never falls back when DATABASE_URL is set or EMBEDDED_DB=false', async () => {
    const configured = { ...base, databaseUrl: 'postgres://db.internal/x', probe: async () => refused };
    expect(await chooseDatabase(configured)).toMatchObject({ kind: 'error' });
    expect(await chooseDatabase({ ...base, mode: 'off', probe: async () => refused })).toMatchObject({ kind: 'error' });
  });

  it('EMBEDDED_DB=true skips the probe; per-service URLs for all four skip everything', async () => {
    expect(await chooseDatabase({ ...base, mode: 'on', probe: noProbe })).toEqual({ kind: 'embedded' });
    expect(await chooseDatabase({ ...base, needed: false, probe: noProbe })).toEqual({ kind: 'server' });
  });

  it('tells "nothing listens" from other failures on a real socket', async () => {
    const closed = await probePostgres(`postgres://postgres@127.0.0.1:${await freePort()}/postgres`);
    expect(nothingListens(closed)).toBe(true);
    expect(nothingListens(badPassword)).toBe(false);
  });
});

describe('which Redis npm start uses', () => {
  const base = { mode: 'auto' as const, redisUrl: undefined, url: 'redis://127.0.0.1:6379', redisServerInstalled: true };
  const down = async () => {
    throw new Error('Redis is not reachable');
  };

  it('uses the URL when it answers, else starts a private redis-server if installed', async () => {
    expect(await chooseRedis({ ...base, ping: async () => undefined })).toEqual({ kind: 'url' });
    expect(await chooseRedis({ ...base, ping: down })).toEqual({ kind: 'private' });
    expect(await chooseRedis({ ...base, redisServerInstalled: false, ping: down })).toMatchObject({
      kind: 'error',
      canStart: true,
    });
  });

  it('never replaces an explicit REDIS_URL or EMBEDDED_REDIS=false', async () => {
    expect(await chooseRedis({ ...base, redisUrl: 'redis://cache:6379', ping: down })).toMatchObject({
      kind: 'error',
      canStart: false,
    });
    expect(await chooseRedis({ ...base, mode: 'off', ping: down })).toMatchObject({ kind: 'error', canStart: false });
  });
});

// Wire-protocol helpers for a client that sends the extended-protocol messages one by one.
const int32 = (n: number) => {
  const b = Buffer.alloc(4);
  b.writeInt32BE(n);
  return b;
};
const int16 = (n: number) => {
  const b = Buffer.alloc(2);
  b.writeInt16BE(n);
  return b;
};
const cstr = (s: string) => Buffer.from(`${s}\0`);
const message = (type: string, body: Buffer = Buffer.alloc(0)) =>
  Buffer.concat([Buffer.from(type), int32(body.length + 4), body]);

class RawClient {
  private buf = Buffer.alloc(0);
  private waiters: (() => void)[] = [];
  private constructor(private readonly socket: Socket) {
    socket.on('data', (d: Buffer) => {
      this.buf = Buffer.concat([this.buf, d]);
      for (const w of this.waiters.splice(0)) w();
    });
  }

  static async open(port: number): Promise<RawClient> {
    const socket = connect(port, '127.0.0.1');
    await new Promise((r) => socket.once('connect', r));
    const client = new RawClient(socket);
    const params = Buffer.concat([cstr('user'), cstr('postgres'), cstr('database'), cstr('postgres'), Buffer.from([0])]);
    socket.write(Buffer.concat([int32(params.length + 8), int32(196608), params]));
    await client.untilReady();
    return client;
  }

  send(...messages: Buffer[]) {
    this.socket.write(Buffer.concat(messages));
  }

  /** Messages up to and including ReadyForQuery: the DataRow values and error messages seen. */
  async untilReady(): Promise<{ values: string[]; errors: string[] }> {
    const values: string[] = [];
    const errors: string[] = [];
    for (;;) {
      while (this.buf.length >= 5 && this.buf.length >= 1 + this.buf.readInt32BE(1)) {
        const type = String.fromCharCode(this.buf[0]);
        const len = this.buf.readInt32BE(1);
        const body = this.buf.subarray(5, 1 + len);
        this.buf = this.buf.subarray(1 + len);
        if (type === 'D' && body.readInt16BE(0) > 0) values.push(body.subarray(6, 6 + body.readInt32BE(2)).toString());
        if (type === 'E') errors.push(body.toString().replace(/\0/g, ' '));
        if (type === 'Z') return { values, errors };
      }
      await new Promise<void>((r) => this.waiters.push(r));
    }
  }

  close() {
    this.socket.end(message('X'));
  }
}

describe('embedded PostgreSQL server (PGlite over the wire protocol)', () => {
  it("keeps one connection's Parse..Sync together when other clients send statements in between", async () => {
    const embedded = await startEmbeddedPostgres({ names: ['queue'], dataDir: null, basePort: 0 });
    try {
      const { url, port } = embedded.databases.queue;
      const other = new pg.Client({ connectionString: url });
      await other.connect();
      const raw = await RawClient.open(port);

      raw.send(message('P', Buffer.concat([cstr(''), cstr('select 41 + 1 as answer'), int16(0)])));
      // Another client's extended query (it replaces the unnamed statement) arrives mid-batch.
      let otherDone = false;
      const otherQuery = other.query('select $1::text as echo', ['from the other client']).then((r) => {
        otherDone = true;
        return r;
      });
      await new Promise((r) => setTimeout(r, 200));
      expect(otherDone).toBe(false);

      raw.send(
        message('B', Buffer.concat([cstr(''), cstr(''), int16(0), int16(0), int16(0)])),
        message('E', Buffer.concat([cstr(''), int32(0)])),
        message('S'),
      );
      expect(await raw.untilReady()).toEqual({ values: ['42'], errors: [] });
      expect((await otherQuery).rows).toEqual([{ echo: 'from the other client' }]);
      raw.close();
      await other.end();
    } finally {
      await embedded.stop();
    }
  });

  it('isolates transactions of concurrent connections and rolls back one whose client vanished', async () => {
    const embedded = await startEmbeddedPostgres({ names: ['tx'], dataDir: null, basePort: 0 });
    const pool = new pg.Pool({ connectionString: embedded.databases.tx.url, max: 8 });
    try {
      await pool.query('create table counter (id int primary key, n int not null)');
      await pool.query('insert into counter values (1, 0)');
      // Read-modify-write in 40 concurrent transactions: serialised, none lost.
      await Promise.all(
        Array.from({ length: 40 }, async () => {
          const c = await pool.connect();
          try {
            await c.query('begin');
            const { rows } = await c.query('select n from counter where id = 1');
            await c.query('update counter set n = $1 where id = 1', [rows[0].n + 1]);
            await c.query('commit');
          } finally {
            c.release();
          }
        }),
      );
      expect((await pool.query('select n from counter')).rows).toEqual([{ n: 40 }]);

      const raw = await RawClient.open(embedded.databases.tx.port);
      raw.send(message('Q', cstr('begin; update counter set n = 0 where id = 1;')));
      await raw.untilReady();
      raw.close();
      expect((await pool.query('select n from counter')).rows).toEqual([{ n: 40 }]);
    } finally {
      await pool.end();
      await embedded.stop();
    }
  });

  it('drops a connection that idles in a transaction while others wait, instead of hanging them all', async () => {
    const stuck: { database: string; waiting: number }[] = [];
    const embedded = await startEmbeddedPostgres({
      names: ['idle'],
      dataDir: null,
      basePort: 0,
      idleInTransactionMs: 300,
      onStuck: (info) => stuck.push(info),
    });
    const { url } = embedded.databases.idle;
    const holder = new pg.Client({ connectionString: url });
    const other = new pg.Client({ connectionString: url });
    holder.on('error', () => undefined);
    try {
      await holder.connect();
      await other.connect();
      await other.query('create table t (n int)');
      // The holder's request waits for the other connection's statement, which waits for the holder.
      await holder.query('begin');
      await holder.query('insert into t values (1)');
      expect((await other.query('select count(*)::int as n from t')).rows).toEqual([{ n: 0 }]);
      expect(stuck).toEqual([{ database: 'idle', waiting: 1 }]);
      await expect(holder.query('commit')).rejects.toThrow();
    } finally {
      await other.end();
      await holder.end().catch(() => undefined);
      await embedded.stop();
    }
  });
});
