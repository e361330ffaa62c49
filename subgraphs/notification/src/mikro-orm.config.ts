import { NotificationTemplate } from './modules/template/template.entity.js';
import { migrations } from '../migrations/index.js';

/** Entities and migrations of notification_service, shared by the server and the migration CLI. */
export const entities = [NotificationTemplate];
export { migrations };
export const migrationsDir = new URL('../migrations', import.meta.url).pathname;
