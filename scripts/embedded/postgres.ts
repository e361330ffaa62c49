// Embedded PostgreSQL for machines without a server: PGlite (PostgreSQL compiled to WebAssembly)
// served over the wire protocol by @electric-sql/pglite-socket, so the subgraphs connect with
// their usual `pg` driver and MikroORM see no difference.
//
// One PGlite instance (and one TCP port) per service database: PGlite runs a single backend
// over a single database. CREATE DATABASE succeeds inside it, but nothing can connect to the new
// database (the socket server ignores the database named in the startup message), so "one
// instance, four databases" would silently put every subgraph's tables into one database.
import { mkdirSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { btree_gist } from '@electric-sql/pglite/contrib/btree_gist';
import { pg_trgm } from '@electric-sql/pglite/contrib/pg_trgm';
import { PGLiteSocketHandler } from '@electric-sql/pglite-socket';

/**
 * Contrib extensions the subgraphs' migrations create: btree_gist (doctor: the exclusion
 * constraint against double booking), pg_trgm (pharmacy: fuzzy item search). PGlite ships
 * contrib as separate bundles that must be passed at start; CREATE EXTENSION then works as usual.
 */
export const EMBEDDED_EXTENSIONS = { btree_gist, pg_trgm };

interface Pending {
  handlerId: number;
  message: Uint8Array;
  onData: (data: Uint8Array) => void;
  resolve: (bytes: number) => void;
  reject: (error: unknown) => void;
}

/** Frontend messages of the extended query protocol that leave a batch open until Sync. */
const EXTENDED = new Set(['P', 'B', 'D', 'E', 'C', 'H', 'F']);
const TERMINATE = 'X'.charCodeAt(0);

/**
 * Serialises every connection's messages onto PGlite's single backend. pglite-socket's own queue
 * hands the backend to one connection while a transaction is open; this one also keeps it for a
 * connection between Parse and Sync, because the unnamed statement and portal are shared by all
 * connections: another client's Parse landing inside that window would make the first client
 * bind or execute the wrong statement (it happens when a large batch arrives in several TCP reads).
 */
export class BackendQueue {
  private queue: Pending[] = [];
  private owner: number | null = null;
  private draining = false;
  private processed = 0;
  private idle: { owner: number; processed: number; timer: NodeJS.Timeout } | null = null;

  /**
   * `onStuck(handlerId)` is called when the owner sits idle in a transaction for `idleMs` while
   * other connections wait. With one backend, code that holds a transaction open and waits for
   * a query on a second connection (which a real server would run) can never finish; dropping
   * the owner's connection (PostgreSQL's idle_in_transaction_session_timeout does the same)
   * fails that one request instead of hanging the whole service.
   */
  constructor(
    private readonly db: PGlite,
    private readonly options: { idleMs?: number; onStuck?: (handlerId: number) => void } = {},
  ) {}

  enqueue(handlerId: number, message: Uint8Array, onData: (data: Uint8Array) => void): Promise<number> {
    // Terminate ends one client, never the shared backend: the socket closing (detach) rolls
    // back whatever that client left open.
    if (message[0] === TERMINATE) return Promise.resolve(0);
    return new Promise((resolve, reject) => {
      this.queue.push({ handlerId, message, onData, resolve, reject });
      void this.drain();
    });
  }

  getQueueLength(): number {
    return this.queue.length;
  }

  clearQueueForHandler(handlerId: number): void {
    this.queue = this.queue.filter((p) => {
      if (p.handlerId !== handlerId) return true;
      p.reject(new Error('connection closed'));
      return false;
    });
  }

  /** A connection went away while holding the backend: roll back its transaction, free the backend. */
  async clearTransactionIfNeeded(handlerId: number): Promise<void> {
    if (this.owner !== handlerId) return;
    // Nobody may run inside the abandoned transaction while it rolls back (-1 matches no client).
    this.owner = -1;
    try {
      // exec takes PGlite's own lock (wrapping it in runExclusive would deadlock).
      if (this.db.isInTransaction()) await this.db.exec('ROLLBACK');
    } finally {
      this.owner = null;
    }
    await this.drain();
  }

  private next(): Pending | undefined {
    const index = this.owner === null ? 0 : this.queue.findIndex((p) => p.handlerId === this.owner);
    return index < 0 ? undefined : this.queue.splice(index, 1)[0];
  }

  private async drain(): Promise<void> {
    if (this.draining) return;
    this.draining = true;
    try {
      for (let item = this.next(); item; item = this.next()) {
        let bytes = 0;
        try {
          await this.db.runExclusive(() =>
            this.db.execProtocolRawStream(item!.message, {
              onRawData: (data) => {
                bytes += data.length;
                item!.onData(data);
              },
            }),
          );
        } catch (error) {
          if (this.owner === item.handlerId) this.owner = null;
          item.reject(error);
          continue;
        }
        const type = String.fromCharCode(item.message[0]);
        if (EXTENDED.has(type)) this.owner = item.handlerId;
        else if (type === 'S' || type === 'Q') this.owner = this.db.isInTransaction() ? item.handlerId : null;
        this.processed++;
        item.resolve(bytes);
      }
    } finally {
      this.draining = false;
      this.watchIdleOwner();
    }
  }

  private watchIdleOwner() {
    const owner = this.owner;
    const watching = owner !== null && owner >= 0 && !!this.options.onStuck && this.queue.length > 0;
    // The clock runs from the owner's last message, not from the latest waiter's arrival.
    if (watching && this.idle?.owner === owner && this.idle.processed === this.processed) return;
    if (this.idle) clearTimeout(this.idle.timer);
    this.idle = null;
    if (!watching) return;
    const processed = this.processed;
    const timer = setTimeout(() => {
      this.idle = null;
      const stillIdle = this.owner === owner && this.processed === processed && this.queue.length > 0;
      if (stillIdle) this.options.onStuck!(owner);
    }, this.options.idleMs ?? 15_000);
    timer.unref();
    this.idle = { owner, processed, timer };
  }
}

export interface EmbeddedDatabase {
  name: string;
  url: string;
  port: number;
  db: PGlite;
}

export interface EmbeddedPostgres {
  databases: Record<string, EmbeddedDatabase>;
  stop: () => Promise<void>;
}

async function listen(server: Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (error: Error) => reject(error);
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve((server.address() as { port: number }).port);
    });
  });
}

/** Serves one PGlite instance on a TCP port; a taken preferred port falls back to a free one. */
async function serve(
  db: PGlite,
  host: string,
  preferredPort: number,
  options: { idleMs?: number; onStuck?: (info: { waiting: number }) => void },
): Promise<{ port: number; close: () => Promise<void> }> {
  const handlers = new Set<PGLiteSocketHandler>();
  const sockets = new Set<Socket>();
  const socketOf = new Map<number, Socket>();
  const queue: BackendQueue = new BackendQueue(db, {
    idleMs: options.idleMs,
    onStuck: (handlerId) => {
      options.onStuck?.({ waiting: queue.getQueueLength() });
      socketOf.get(handlerId)?.destroy();
    },
  });
  const server = createServer((socket) => {
    sockets.add(socket);
    const handler = new PGLiteSocketHandler({ queryQueue: queue as never, closeOnDetach: true });
    socketOf.set(handler.handlerId, socket);
    socket.once('close', () => {
      sockets.delete(socket);
      socketOf.delete(handler.handlerId);
    });
    handlers.add(handler);
    const forget = () => handlers.delete(handler);
    handler.addEventListener('close', forget);
    handler.addEventListener('error', forget);
    handler.attach(socket).catch(() => socket.destroy());
  });
  let port: number;
  try {
    port = await listen(server, preferredPort, host);
  } catch (error) {
    if ((error as { code?: string }).code !== 'EADDRINUSE' || preferredPort === 0) throw error;
    port = await listen(server, 0, host);
  }
  return {
    port,
    close: async () => {
      await Promise.all([...handlers].map((h) => h.detach(true)));
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/**
 * Starts one embedded database per name, data under `dataDir/<name>` (or in memory when
 * `dataDir` is null), listening on `basePort + i` (0 = any free port). Each URL names PGlite's
 * only database, `postgres` (it cannot start on another name), so `ensureDatabase` creates nothing.
 */
export async function startEmbeddedPostgres(options: {
  names: readonly string[];
  dataDir: string | null;
  host?: string;
  basePort?: number;
  /** Drop a connection idle in a transaction this long while others wait (see BackendQueue). */
  idleInTransactionMs?: number;
  onStuck?: (info: { database: string; waiting: number }) => void;
}): Promise<EmbeddedPostgres> {
  const host = options.host ?? '127.0.0.1';
  const started: { entry: EmbeddedDatabase; close: () => Promise<void> }[] = [];
  const stop = async () => {
    for (const s of started.reverse()) {
      await s.close();
      await s.entry.db.close();
    }
  };
  try {
    for (const [i, name] of options.names.entries()) {
      let dataDir = 'memory://';
      if (options.dataDir) {
        dataDir = path.join(options.dataDir, name);
        mkdirSync(dataDir, { recursive: true });
      }
      const db = await PGlite.create({ dataDir, extensions: EMBEDDED_EXTENSIONS });
      const { port, close } = await serve(db, host, options.basePort ? options.basePort + i : 0, {
        idleMs: options.idleInTransactionMs,
        onStuck: (info) => options.onStuck?.({ database: name, ...info }),
      });
      const entry = { name, port, db, url: `postgres://postgres@${host}:${port}/postgres` };
      started.push({ entry, close });
    }
  } catch (error) {
    await stop();
    throw error;
  }
  return { databases: Object.fromEntries(started.map((s) => [s.entry.name, s.entry])), stop };
}
