import { Category } from './modules/catalogue/category.entity.js';
import { migrations } from '../migrations/index.js';

/** Entities and migrations of pharmacy_service, shared by the server and the migration CLI. */
export const entities = [Category];
export { migrations };
export const migrationsDir = new URL('../migrations', import.meta.url).pathname;
