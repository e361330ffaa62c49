import { Redis, type RedisOptions } from 'ioredis';

/**
 * The one place that turns a Redis target into ioredis options, so every client (queues,
 * workers, relay, consumers, pub/sub, caches, rate limits, revocation) follows a Sentinel
 * failover the same way. A target is either a plain `redis://` URL or the
 * `redis-sentinel://[user:password@]host:port,host:port/<master>?db=N&sentinelPassword=…`
 * form that loadConfig builds from REDIS_SENTINELS / REDIS_SENTINEL_NAME.
 */
export const SENTINEL_SCHEME = 'redis-sentinel:';

export interface SentinelSettings {
  /** `host:port,host:port` */
  sentinels: string;
  name: string;
  sentinelPassword?: string;
  /** The master's own credentials and db come from this URL (REDIS_URL), its address from Sentinel. */
  baseUrl: string;
}

/** Encodes Sentinel settings as one target string, so call sites that take a Redis URL need no change. */
export function sentinelTarget(s: SentinelSettings): string {
  const base = new URL(s.baseUrl);
  const auth = base.username || base.password ? `${base.username}:${base.password}@` : '';
  const params = new URLSearchParams();
  const db = base.pathname.replace(/^\//, '');
  if (db) params.set('db', db);
  if (s.sentinelPassword) params.set('sentinelPassword', s.sentinelPassword);
  const query = params.size ? `?${params}` : '';
  return `redis-sentinel://${auth}${s.sentinels.replace(/\s+/g, '')}/${encodeURIComponent(s.name)}${query}`;
}

/** Parses `host:port,host:port` (IPv6 in brackets); throws with the bad entry named. */
export function parseSentinels(list: string): { host: string; port: number }[] {
  const entries = list
    .split(',')
    .map((e) => e.trim())
    .filter(Boolean);
  if (entries.length === 0) throw new Error('no sentinel addresses');
  return entries.map((entry) => {
    const m = /^(?:\[([^\]]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(entry);
    const port = m ? Number(m[3]) : NaN;
    if (!m || port < 1 || port > 65535) throw new Error(`"${entry}" is not host:port`);
    return { host: m[1] ?? m[2]!, port };
  });
}

function sentinelOptions(target: string): RedisOptions {
  const m = /^redis-sentinel:\/\/(?:([^:@/]*):([^@/]*)@)?([^/]+)\/([^?]+)(?:\?(.*))?$/.exec(target);
  if (!m) throw new Error('malformed redis-sentinel target');
  const params = new URLSearchParams(m[5] ?? '');
  const db = params.get('db');
  return {
    sentinels: parseSentinels(m[3]!),
    name: decodeURIComponent(m[4]!),
    ...(m[1] ? { username: decodeURIComponent(m[1]) } : {}),
    ...(m[2] ? { password: decodeURIComponent(m[2]) } : {}),
    ...(db ? { db: Number(db) } : {}),
    ...(params.get('sentinelPassword') ? { sentinelPassword: params.get('sentinelPassword')! } : {}),
    // No failoverDetector: its +switch-master handler can abort a reconnect already under way,
    // which ends the client for good (status "end"). Sentinel closes the clients of a demoted
    // master itself (CLIENT KILL), and READONLY replies reconnect (below), so clients move anyway.
    sentinelRetryStrategy: (attempt) => Math.min(attempt * 200, 2_000),
  };
}

function urlOptions(target: string): RedisOptions {
  const u = new URL(target);
  const db = u.pathname.replace(/^\//, '');
  return {
    host: u.hostname.replace(/^\[|\]$/g, '') || '127.0.0.1',
    port: u.port ? Number(u.port) : 6379,
    ...(u.username ? { username: decodeURIComponent(u.username) } : {}),
    ...(u.password ? { password: decodeURIComponent(u.password) } : {}),
    ...(db ? { db: Number(db) } : {}),
    ...(u.protocol === 'rediss:' ? { tls: {} } : {}),
  };
}

/**
 * ioredis options for a target plus the caller's own (timeouts, `maxRetriesPerRequest: null`
 * for BullMQ workers, offline queue off on request paths). After a failover the old master
 * answers writes with READONLY: reconnecting makes the client ask Sentinel again.
 */
export function redisOptions(target: string, options: RedisOptions = {}): RedisOptions {
  const connection = target.startsWith(SENTINEL_SCHEME) ? sentinelOptions(target) : urlOptions(target);
  return {
    retryStrategy: (attempt) => Math.min(attempt * 200, 2_000),
    reconnectOnError: (error) => (error.message.startsWith('READONLY') ? 2 : false),
    ...connection,
    ...options,
  };
}

/** A Redis client for a target (`redis://` URL or Sentinel); see redisOptions. */
export function createRedis(target: string, options: RedisOptions = {}): Redis {
  return new Redis(redisOptions(target, options));
}

/** The target with any password masked, for logs and error messages. */
export function redactRedisTarget(target: string): string {
  return target.replace(/\/\/([^:@/]*):[^@/]*@/, '//$1:***@').replace(/sentinelPassword=[^&]*/, 'sentinelPassword=***');
}
