import type { Redis } from 'ioredis';
import { createRedis } from '@hc/config';
import type { Logger } from '@hc/logger';
import { appointmentEventsChannel, type AppointmentChangedEvent } from '@hc/graphql/shell';

type Listener = (event: AppointmentChangedEvent) => void;

/**
 * One Redis pub/sub connection per gateway instance: every instance hears every appointment
 * event (the doctor subgraph publishes after commit), so a subscriber may be connected to any
 * instance. Listeners are this instance's graphql-ws subscriptions.
 */
export class AppointmentEventBus {
  private readonly redis: Redis;
  private readonly listeners = new Set<Listener>();
  readonly ready: Promise<void>;

  constructor(
    redisUrl: string,
    redisPrefix: string,
    private readonly logger: Logger,
  ) {
    const channel = appointmentEventsChannel(redisPrefix);
    this.redis = createRedis(redisUrl, { maxRetriesPerRequest: null, retryStrategy: (n) => Math.min(n * 200, 2_000) });
    this.redis.on('error', (err) => logger.warn({ err: err.message }, 'subscription redis error'));
    this.redis.on('message', (ch: string, message: string) => {
      if (ch !== channel) return;
      let event: AppointmentChangedEvent;
      try {
        event = JSON.parse(message) as AppointmentChangedEvent;
      } catch {
        logger.warn('ignoring a malformed appointment event');
        return;
      }
      for (const listener of this.listeners) listener(event);
    });
    // ioredis re-subscribes by itself after a reconnect.
    this.ready = this.redis.subscribe(channel).then(() => undefined);
    this.ready.catch((err: Error) => logger.warn({ err: err.message }, 'appointment events subscription failed'));
  }

  listen(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  get size(): number {
    return this.listeners.size;
  }

  async close(): Promise<void> {
    this.listeners.clear();
    this.redis.disconnect();
  }
}
