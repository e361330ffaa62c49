// Which database and Redis `npm start` uses. Explicit configuration always wins and fails loudly;
// the embedded fallbacks apply only to the defaults, and only when nothing listens there (a
// server that answers but refuses us is a misconfiguration to report, not to work around).
import pg from 'pg';
import { pingRedis } from '@hc/service';
import type { LauncherConfig } from './config.ts';

/** Connection errors that mean no server listens at the address. */
const NOTHING_LISTENING = new Set(['ECONNREFUSED', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EADDRNOTAVAIL']);

export const nothingListens = (error: unknown): boolean =>
  NOTHING_LISTENING.has((error as { code?: string } | null)?.code ?? '') ||
  (error instanceof Error && /timeout/i.test(error.message));

/** null when a PostgreSQL server accepts the connection, else the error. */
export async function probePostgres(url: string): Promise<unknown> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5_000 });
  try {
    await client.connect();
    return null;
  } catch (error) {
    return error ?? new Error('connection failed');
  } finally {
    await client.end().catch(() => undefined);
  }
}

export type DatabaseChoice = { kind: 'server' } | { kind: 'embedded' } | { kind: 'error'; error: unknown };

export async function chooseDatabase(options: {
  mode: LauncherConfig['EMBEDDED_DB'];
  /** DATABASE_URL as given (unset = the local default server). */
  databaseUrl: string | undefined;
  serverUrl: string;
  /** false when every service has its own *_DATABASE_URL. */
  needed: boolean;
  probe?: (url: string) => Promise<unknown>;
}): Promise<DatabaseChoice> {
  if (!options.needed) return { kind: 'server' };
  if (options.mode === 'on') return { kind: 'embedded' };
  const error = await (options.probe ?? probePostgres)(options.serverUrl);
  if (!error) return { kind: 'server' };
  if (options.mode === 'auto' && !options.databaseUrl && nothingListens(error)) return { kind: 'embedded' };
  return { kind: 'error', error };
}

export type RedisChoice = { kind: 'url' } | { kind: 'private' } | { kind: 'error'; error: Error; canStart: boolean };

export async function chooseRedis(options: {
  mode: LauncherConfig['EMBEDDED_REDIS'];
  /** REDIS_URL as given (unset = the local default). */
  redisUrl: string | undefined;
  url: string;
  redisServerInstalled: boolean;
  ping?: (url: string) => Promise<void>;
}): Promise<RedisChoice> {
  if (options.mode === 'on') {
    return options.redisServerInstalled
      ? { kind: 'private' }
      : { kind: 'error', error: new Error('EMBEDDED_REDIS=true but there is no redis-server on PATH.'), canStart: true };
  }
  const error = await (options.ping ?? pingRedis)(options.url).then(
    () => null,
    (e: Error) => e,
  );
  if (!error) return { kind: 'url' };
  const canStart = options.mode === 'auto' && !options.redisUrl;
  if (canStart && options.redisServerInstalled) return { kind: 'private' };
  return { kind: 'error', error, canStart };
}
