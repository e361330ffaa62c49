import { OutboxMessage } from '@hc/jobs';
import { NotificationTemplate } from './modules/template/template.entity.js';
import { Contact } from './modules/contact/contact.entity.js';
import { NotificationPreferences } from './modules/preference/preference.entity.js';
import { Notification } from './modules/notification/notification.entity.js';
import { PushSubscription } from './modules/push/push.entity.js';
import { migrations } from '../migrations/index.js';

/** Entities and migrations of notification_service, shared by the server and the migration CLI. */
export const entities = [NotificationTemplate, Contact, NotificationPreferences, Notification, PushSubscription, OutboxMessage];
export { migrations };
export const migrationsDir = new URL('../migrations', import.meta.url).pathname;
