import type { NotificationConfig } from '@hc/config';
import type { RetentionRule } from '@hc/db';

/**
 * Finished messages keep their record (what was sent to whom, when, with which outcome) but lose
 * the recipient address and the provider's error text after RETENTION_NOTIFICATION_DAYS; the
 * message variables lived only in the producers' outbox rows, pruned with the outbox.
 */
export const notificationRetention = (config: NotificationConfig): RetentionRule[] => [
  {
    name: 'notifications',
    days: config.RETENTION_NOTIFICATION_DAYS,
    sql: `update notifications set destination = '', error_message = null
          where status in ('SENT', 'DELIVERED', 'FAILED', 'SKIPPED')
            and created_at < now() - make_interval(days => ?)
            and (destination <> '' or error_message is not null)`,
  },
];
