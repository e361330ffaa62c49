import type { Redis } from 'ioredis';
import { createRedis } from '@hc/config';
import type { Logger } from '@hc/logger';
import {
  appointmentEventsChannel,
  slotEventsChannel,
  type AppointmentChangedEvent,
  type SlotReleasedEvent,
} from '@hc/graphql/shell';

type Listener<E> = (event: E) => void;

/**
 * One Redis pub/sub connection per gateway instance: every instance hears every appointment
 * and slot event (the doctor subgraph publishes after commit), so a subscriber may be connected
 * to any instance. Listeners are this instance's graphql-ws subscriptions.
 */
export class AppointmentEventBus {
  private readonly redis: Redis;
  private readonly listeners = new Set<Listener<AppointmentChangedEvent>>();
  private readonly slotListeners = new Set<Listener<SlotReleasedEvent>>();
  readonly ready: Promise<void>;

  constructor(
    redisUrl: string,
    redisPrefix: string,
    private readonly logger: Logger,
  ) {
    const channel = appointmentEventsChannel(redisPrefix);
    const slotChannel = slotEventsChannel(redisPrefix);
    this.redis = createRedis(redisUrl, { maxRetriesPerRequest: null, retryStrategy: (n) => Math.min(n * 200, 2_000) });
    this.redis.on('error', (err) => logger.warn({ err: err.message }, 'subscription redis error'));
    this.redis.on('message', (ch: string, message: string) => {
      const listeners = ch === channel ? this.listeners : ch === slotChannel ? this.slotListeners : null;
      if (!listeners) return;
      let event: unknown;
      try {
        event = JSON.parse(message);
      } catch {
        logger.warn({ channel: ch }, 'ignoring a malformed subscription event');
        return;
      }
      for (const listener of listeners) (listener as Listener<unknown>)(event);
    });
    // ioredis re-subscribes by itself after a reconnect.
    this.ready = this.redis.subscribe(channel, slotChannel).then(() => undefined);
    this.ready.catch((err: Error) => logger.warn({ err: err.message }, 'appointment events subscription failed'));
  }

  listen(listener: Listener<AppointmentChangedEvent>): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  listenSlots(listener: Listener<SlotReleasedEvent>): () => void {
    this.slotListeners.add(listener);
    return () => this.slotListeners.delete(listener);
  }

  get size(): number {
    return this.listeners.size + this.slotListeners.size;
  }

  async close(): Promise<void> {
    this.listeners.clear();
    this.slotListeners.clear();
    this.redis.disconnect();
  }
}
