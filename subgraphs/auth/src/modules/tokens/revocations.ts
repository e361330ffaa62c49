import { timingSafeEqual } from 'node:crypto';
import type { Express, Request } from 'express';
import type { Redis } from 'ioredis';
import { INTERNAL_SECRET_HEADER, revocationChannel, type RevocationMarker, type RevocationSnapshot } from '@hc/auth';
import type { Orm } from '@hc/db';
import type { Logger } from '@hc/logger';

/**
 * The revocation markers' source of truth is `users.tokens_valid_after` (set on password
 * change/reset). This reads the ones set after `since` that can still matter: a marker older
 * than the access-token lifetime voids nothing (every token issued before it has expired).
 */
export async function readRevocations(orm: Orm, since: number, windowSeconds: number): Promise<RevocationSnapshot> {
  const rows = await orm.em.getConnection().execute<{ id: string; valid_after: string; now: string }[]>(
    `select id, extract(epoch from tokens_valid_after)::bigint as valid_after, extract(epoch from now())::bigint as now
       from users
      where tokens_valid_after > greatest(to_timestamp(cast(? as double precision)), now() - make_interval(secs => cast(? as double precision)))`,
    [Math.max(0, since), windowSeconds + 60],
  );
  const now = rows.length
    ? Number(rows[0].now)
    : Number((await orm.em.getConnection().execute<{ now: string }[]>('select extract(epoch from now())::bigint as now'))[0].now);
  return { markers: rows.map((r) => ({ userId: r.id, validAfter: Number(r.valid_after) })), now, windowSeconds };
}

const LOOPBACK = /^(127\.|::1$|::ffff:127\.)/;

/** INTERNAL_SECRET when set; else only a caller on this host (development, tests, one-machine setups). */
function internalCaller(req: Request, secret: string | undefined): boolean {
  if (!secret) return LOOPBACK.test(req.socket.remoteAddress ?? '');
  const given = Buffer.from(req.header(INTERNAL_SECRET_HEADER) ?? '');
  const expected = Buffer.from(secret);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/**
 * GET /internal/revocations?since=<epoch seconds>: the markers the gateway and the other
 * subgraphs load at start, after a pub/sub reconnect and while pub/sub is down. Not part of the
 * public API (the gateway does not route to it); answers 404 to callers without the secret.
 */
export function revocationsRoute(orm: Orm, options: { secret?: string; windowSeconds: number }) {
  return (app: Express) => {
    app.get('/internal/revocations', async (req, res) => {
      if (!internalCaller(req, options.secret)) {
        res.status(404).end();
        return;
      }
      const since = Number(req.query.since ?? 0);
      try {
        res.setHeader('cache-control', 'no-store');
        res.json(await readRevocations(orm, Number.isFinite(since) ? since : 0, options.windowSeconds));
      } catch {
        res.status(503).json({ error: 'database unavailable' });
      }
    });
  };
}

/**
 * Tells every verifier about a new marker at once (pub/sub). Best effort: the marker is already
 * in the database, so a process that misses this (Redis down) picks it up on its next poll.
 */
export async function publishRevocation(
  redis: Pick<Redis, 'publish'>,
  prefix: string,
  marker: RevocationMarker,
  logger: Logger,
): Promise<void> {
  try {
    await Promise.race([
      redis.publish(revocationChannel(prefix), JSON.stringify(marker)),
      new Promise((_, reject) => setTimeout(() => reject(new Error('publish timed out')), 1_000).unref()),
    ]);
  } catch (error) {
    logger.warn({ err: (error as Error).message, userId: marker.userId }, 'revocation not published: verifiers poll it');
  }
}
