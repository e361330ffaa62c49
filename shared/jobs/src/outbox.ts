import type { EntityManager } from '@mikro-orm/postgresql';
import { OutboxMessage } from './outbox.entity.js';
import type { NotificationRequest, NotificationReschedule, Topic, TopicPayloads } from './topics.js';

/**
 * Adds a message to the outbox in the caller's unit of work: it commits (or rolls back) with the
 * business change. Call inside `em.transactional(...)` or before the `em.flush()` that writes
 * the business row.
 */
export function addToOutbox<T extends Topic>(em: EntityManager, topic: T, payload: TopicPayloads[T]): OutboxMessage {
  const message = new OutboxMessage();
  message.topic = topic;
  message.payload = payload as object;
  em.persist(message);
  return message;
}

export const outbox = {
  add: addToOutbox,
  /** Sends a notification through the pipeline (see NotificationRequest). */
  notify: (em: EntityManager, request: NotificationRequest) => addToOutbox(em, 'notification.send', request),
  /** Moves (sendAt) or cancels (no sendAt) a scheduled notification by its key. */
  reschedule: (em: EntityManager, change: NotificationReschedule) => addToOutbox(em, 'notification.reschedule', change),
};
