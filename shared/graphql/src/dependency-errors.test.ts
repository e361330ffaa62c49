import net from 'node:net';
import { afterAll, describe, expect, it } from '@jest/globals';
import { GraphQLError } from 'graphql';
import { Redis } from 'ioredis';
import pg from 'pg';
import { ConnectionException } from '@mikro-orm/core';
import { pino } from 'pino';
import { createFormatError, isDependencyUnavailable } from './index.js';

const logged: Record<string, unknown>[] = [];
const logger = pino({ level: 'info' }, { write: (l: string) => void logged.push(JSON.parse(l)) });
const format = createFormatError({ logger, requestId: () => 'req-7' });
const asResolverError = (original: Error) => new GraphQLError(original.message, { originalError: original, path: ['x'] });

/** A loopback port nothing listens on. */
const closedPort = () =>
  new Promise<number>((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });

const clients: Redis[] = [];
afterAll(() => clients.forEach((c) => c.disconnect()));

/** Real errors from real clients pointed at a closed port. */
async function caught(fn: () => Promise<unknown>): Promise<Error> {
  try {
    await fn();
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a failure');
}

describe('formatError: a dependency that cannot be reached is SERVICE_UNAVAILABLE', () => {
  it('maps fetch (undici) ECONNREFUSED, ioredis offline and retry-limit errors, pg refused and MikroORM ConnectionException', async () => {
    const port = await closedPort();
    const fetchError = await caught(() => fetch(`http://127.0.0.1:${port}/`));
    const offline = new Redis(`redis://127.0.0.1:${port}`, { enableOfflineQueue: false, lazyConnect: true });
    clients.push(offline);
    const offlineError = await caught(() => offline.get('k'));
    const retrying = new Redis(`redis://127.0.0.1:${port}`, { maxRetriesPerRequest: 1, retryStrategy: () => 50 });
    retrying.on('error', () => undefined);
    clients.push(retrying);
    const retryError = await caught(() => retrying.get('k'));
    const pool = new pg.Pool({ connectionString: `postgres://postgres@127.0.0.1:${port}/x` });
    const pgError = await caught(() => pool.query('select 1'));
    await pool.end();
    const ormError = new ConnectionException(pgError as never);

    expect(retryError.name).toBe('MaxRetriesPerRequestError');
    for (const error of [fetchError, offlineError, retryError, pgError, ormError]) {
      expect([error.name, isDependencyUnavailable(error)]).toEqual([error.name, true]);
      const out = format(
        { message: error.message, path: ['x'], extensions: { code: 'INTERNAL_SERVER_ERROR' } },
        asResolverError(error),
      );
      expect(out.extensions).toEqual({ code: 'SERVICE_UNAVAILABLE', retryAfterSeconds: 5 });
      expect(out.message).toBe('The service is temporarily unavailable. Try again shortly.');
      expect(out.message).not.toContain(String(port));
      expect(out.path).toEqual(['x']);
    }
    expect(logged.filter((l) => l.msg === 'dependency unavailable').length).toBe(5);
  });

  it('maps pool timeouts, ETIMEDOUT/ECONNRESET and PostgreSQL connection SQLSTATEs; a wrapped cause is found', () => {
    const cases = [
      new Error('timeout exceeded when trying to connect'),
      Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }),
      Object.assign(new Error('connect ETIMEDOUT'), { code: 'ETIMEDOUT' }),
      Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' }),
      Object.assign(new Error('sorry, too many clients already'), { code: '53300' }),
      new Error('Connection is closed.'),
      new Error('query failed', { cause: Object.assign(new Error('x'), { code: 'ECONNREFUSED' }) }),
      new AggregateError([Object.assign(new Error('x'), { code: 'ECONNREFUSED' })], ''),
    ];
    for (const error of cases) {
      expect(format({ message: error.message }, asResolverError(error)).extensions?.code).toBe('SERVICE_UNAVAILABLE');
    }
  });

  it('still masks bugs and keeps contract codes: only connection failures become SERVICE_UNAVAILABLE', () => {
    const bug = new TypeError("Cannot read properties of undefined (reading 'id')");
    expect(format({ message: bug.message }, asResolverError(bug)).extensions?.code).toBe('INTERNAL_SERVER_ERROR');
    const badUrl = new TypeError('fetch failed', { cause: new Error('invalid method') });
    expect(format({ message: badUrl.message }, asResolverError(badUrl)).extensions?.code).toBe('INTERNAL_SERVER_ERROR');
    const unique = Object.assign(new Error('duplicate key'), { code: '23505' });
    expect(format({ message: unique.message }, asResolverError(unique)).extensions?.code).toBe('CONFLICT');
    // A SERVICE_UNAVAILABLE raised on purpose (e.g. by the gateway for a subgraph) passes through.
    const own = new GraphQLError('The service is temporarily unavailable. Try again shortly.', {
      extensions: { code: 'SERVICE_UNAVAILABLE', retryAfterSeconds: 5, serviceName: 'doctor' },
    });
    expect(format({ message: own.message, extensions: own.extensions }, own).extensions).toEqual({
      code: 'SERVICE_UNAVAILABLE',
      retryAfterSeconds: 5,
    });
  });
});
