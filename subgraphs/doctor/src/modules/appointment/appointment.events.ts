import type { Redis } from 'ioredis';
import type { Logger } from '@hc/logger';
import { appointmentEventsChannel, type AppointmentChangedEvent } from '@hc/graphql';

/**
 * Publishes appointment changes to Redis pub/sub for the gateways' subscriptions. Called only
 * after the transaction committed, so a subscriber never hears of a change that rolled back.
 * Pub/sub is fire-and-forget: a Redis hiccup loses a live update, never the appointment.
 */
export class AppointmentEvents {
  private readonly channel: string;
  constructor(
    private readonly redis: Pick<Redis, 'publish'>,
    redisPrefix: string,
    private readonly logger: Logger,
  ) {
    this.channel = appointmentEventsChannel(redisPrefix);
  }

  async publish(event: AppointmentChangedEvent): Promise<void> {
    try {
      await this.redis.publish(this.channel, JSON.stringify(event));
    } catch (error) {
      this.logger.warn({ err: (error as Error).message, appointmentId: event.appointmentId }, 'appointment event not published');
    }
  }
}
