import { User } from './modules/user/user.entity.js';
import { migrations } from '../migrations/index.js';

/** Entities and migrations of auth_service, shared by the server and the migration CLI. */
export const entities = [User];
export { migrations };
export const migrationsDir = new URL('../migrations', import.meta.url).pathname;
