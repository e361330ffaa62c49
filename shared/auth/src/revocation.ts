import { AuthUnavailableError, type AuthUser } from './types.js';

/** A user's access tokens issued before `validAfter` (epoch seconds) are void. */
export interface RevocationMarker {
  userId: string;
  validAfter: number;
}

/** What the source of truth (auth's database) answers: the markers set since a time. */
export interface RevocationSnapshot {
  markers: RevocationMarker[];
  /** The source's clock (epoch seconds) when it answered: the next `since`. */
  now: number;
  /** Markers older than this are moot (every token issued before them has expired): the access-token lifetime. */
  windowSeconds: number;
}

/** Reads markers set after `since` (epoch seconds) within the last access-token lifetime. */
export type RevocationSource = (since: number) => Promise<RevocationSnapshot>;

/** The pub/sub channel auth publishes each new marker on (JSON `RevocationMarker`). */
export const revocationChannel = (prefix: string): string => `${prefix}:auth:revocations`;

/** The header carrying INTERNAL_SECRET on service-to-service calls (auth's /internal routes). */
export const INTERNAL_SECRET_HEADER = 'x-internal-secret';

/**
 * Auth's `GET /internal/revocations?since=` as a source (gateway and subgraphs other than auth,
 * which cannot read auth's database). `secret` is INTERNAL_SECRET when the deployment sets one.
 */
export function httpRevocationSource(url: string, secret?: string): RevocationSource {
  return async (since) => {
    const target = new URL(url);
    target.searchParams.set('since', String(Math.max(0, Math.floor(since))));
    const res = await fetch(target, {
      headers: secret ? { [INTERNAL_SECRET_HEADER]: secret } : {},
      signal: AbortSignal.timeout(3_000),
    });
    if (!res.ok) throw new Error(`revocations: HTTP ${res.status} from ${target.origin}${target.pathname}`);
    return (await res.json()) as RevocationSnapshot;
  };
}

/** The few calls of a dedicated subscriber connection the cache needs (an ioredis client fits). */
export interface RevocationSubscriber {
  subscribe(channel: string): Promise<unknown>;
  on(event: 'message', listener: (channel: string, message: string) => void): unknown;
  on(event: 'ready' | 'close', listener: () => void): unknown;
  disconnect(): void;
}

export interface RevocationCacheOptions {
  source: RevocationSource;
  /** A connection of its own (subscriber mode); without one the cache only polls. */
  subscriber?: RevocationSubscriber;
  channel: string;
  /** Poll interval while pub/sub is down or the first sync has not succeeded yet. */
  pollSeconds: number;
  /** Full re-sync interval while pub/sub is up, in case a message was lost (default 60 s). */
  resyncSeconds?: number;
  logger?: { warn: (obj: object, msg: string) => void; info: (obj: object, msg: string) => void };
}

/**
 * Revocation markers (password change/reset) held in memory, so verifying a token costs no Redis
 * round trip and a Redis outage does not refuse valid tokens. Filled from the source of truth at
 * start, kept current by pub/sub, re-synced after every pub/sub reconnect and polled every
 * `pollSeconds` while pub/sub is down: a marker set during an outage takes effect within that bound.
 * Until the first sync succeeds it knows nothing, and says so (AuthUnavailableError, not a refusal).
 */
export class RevocationCache {
  private readonly markers = new Map<string, number>();
  private synced = false;
  private subscribed = false;
  private since = 0;
  private windowSeconds = 3600;
  private lastFull = 0;
  private timer?: NodeJS.Timeout;
  private inflight: Promise<void> | null = null;
  private stopped = false;
  private subscribeRequested = false;

  constructor(private readonly options: RevocationCacheOptions) {}

  /** First sync (a failure is retried by the poll), then pub/sub. Never throws. */
  async start(): Promise<void> {
    const sub = this.options.subscriber;
    if (sub) {
      sub.on('message', (channel, message) => {
        if (channel === this.options.channel) this.onMessage(message);
      });
      // ioredis subscribes again by itself after a reconnect, then says 'ready'; what was
      // published while it was away is lost, so re-sync from the source then.
      sub.on('ready', () => {
        if (!this.subscribeRequested) return;
        this.subscribed = true;
        void this.sync().catch(() => undefined);
      });
      sub.on('close', () => {
        this.subscribed = false;
      });
      this.subscribeRequested = true;
      void sub
        .subscribe(this.options.channel)
        .then(() => {
          this.subscribed = true;
        })
        .catch(() => undefined);
    }
    await this.sync().catch(() => undefined);
    const tickMs = Math.max(250, this.options.pollSeconds * 1000);
    this.timer = setInterval(() => void this.tick(), tickMs);
    this.timer.unref();
  }

  private async tick(): Promise<void> {
    const resyncMs = (this.options.resyncSeconds ?? 60) * 1000;
    if (Date.now() - this.lastFull >= resyncMs) {
      // Now and then everything within the window: also catches a marker whose transaction
      // committed later than the incremental overlap allows for.
      await this.sync(true).catch(() => undefined);
    } else if (!this.synced || !this.subscribed) {
      await this.sync().catch(() => undefined);
    }
  }

  private onMessage(message: string): void {
    try {
      const marker = JSON.parse(message) as RevocationMarker;
      if (typeof marker.userId === 'string' && Number.isFinite(marker.validAfter)) this.apply(marker);
    } catch {
      /* not ours */
    }
  }

  /** Records a marker (a later one wins): auth applies its own at once, others get them here by pub/sub. */
  apply(marker: RevocationMarker): void {
    const known = this.markers.get(marker.userId);
    if (known === undefined || marker.validAfter > known) this.markers.set(marker.userId, marker.validAfter);
  }

  /**
   * Fetches what changed since the last sync, or everything within the window when `full` (one
   * at a time); rejects when the source cannot answer.
   */
  sync(full = false): Promise<void> {
    this.inflight ??= (async () => {
      try {
        // A few seconds of overlap: a marker committed while the last answer was being read is not missed.
        const snapshot = await this.options.source(!full && this.since > 0 ? this.since - 5 : 0);
        if (full || this.since === 0) this.lastFull = Date.now();
        for (const marker of snapshot.markers) this.apply(marker);
        this.windowSeconds = snapshot.windowSeconds;
        this.since = snapshot.now;
        this.prune(snapshot.now);
        if (!this.synced) this.options.logger?.info({ markers: this.markers.size }, 'revocation markers loaded');
        this.synced = true;
      } catch (error) {
        this.options.logger?.warn({ err: (error as Error).message }, 'revocation markers could not be synced');
        throw error;
      } finally {
        this.inflight = null;
      }
    })();
    return this.inflight;
  }

  /** Markers whose tokens have all expired (plus the verifier's clock tolerance) are dropped. */
  private prune(now: number): void {
    const horizon = now - this.windowSeconds - 60;
    for (const [userId, validAfter] of this.markers) if (validAfter < horizon) this.markers.delete(userId);
  }

  /** True when the token was issued before the user's marker. Throws AuthUnavailableError before the first sync. */
  isRevoked(user: AuthUser): boolean {
    if (!this.synced) throw new AuthUnavailableError('Token revocations are not loaded yet');
    const validAfter = this.markers.get(user.id);
    return validAfter !== undefined && user.issuedAt < validAfter;
  }

  /** Readiness: rejects until the first sync succeeded. Pub/sub being down is not unreadiness (the poll covers it). */
  async check(): Promise<void> {
    if (!this.synced) throw new Error('revocation markers not loaded');
  }

  /** For /ready detail and tests. */
  state(): { synced: boolean; subscribed: boolean; markers: number } {
    return { synced: this.synced, subscribed: this.subscribed, markers: this.markers.size };
  }

  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    clearInterval(this.timer);
    this.options.subscriber?.disconnect();
  }
}
