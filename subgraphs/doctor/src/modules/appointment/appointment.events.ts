import type { Redis } from 'ioredis';
import type { Logger } from '@hc/logger';
import { appointmentEventsChannel, slotEventsChannel, type AppointmentChangedEvent, type SlotReleasedEvent } from '@hc/graphql';

/**
 * Publishes appointment changes and released slots to Redis pub/sub for the gateways'
 * subscriptions. Called only after the transaction committed, so a subscriber never hears of a
 * change that rolled back. Pub/sub is fire-and-forget: a Redis hiccup loses a live update,
 * never the appointment.
 */
const PUBLISH_TIMEOUT_MS = 1_000;

export class AppointmentEvents {
  private readonly channel: string;
  private readonly slotChannel: string;
  constructor(
    private readonly redis: Pick<Redis, 'publish'>,
    redisPrefix: string,
    private readonly logger: Logger,
  ) {
    this.channel = appointmentEventsChannel(redisPrefix);
    this.slotChannel = slotEventsChannel(redisPrefix);
  }

  /**
   * Best effort and bounded: the change has committed, so a Redis outage must not hold the
   * mutation's answer while the client retries (subscribers miss this event, nothing else).
   */
  async publish(event: AppointmentChangedEvent): Promise<void> {
    await this.send(this.channel, event, { appointmentId: event.appointmentId }, 'appointment event not published');
  }

  /** A slot became bookable by anyone (see SlotReleasedEvent); same guarantees as `publish`. */
  async publishSlotReleased(events: SlotReleasedEvent[]): Promise<void> {
    for (const event of events)
      await this.send(this.slotChannel, event, { workplaceId: event.workplaceId }, 'slot event not published');
  }

  private async send(channel: string, event: object, logFields: Record<string, string>, failure: string): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        this.redis.publish(channel, JSON.stringify(event)),
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new Error('Redis did not answer within 1 s')), PUBLISH_TIMEOUT_MS);
        }),
      ]);
    } catch (error) {
      this.logger.warn({ err: (error as Error).message, ...logFields }, failure);
    } finally {
      clearTimeout(timer);
    }
  }
}
