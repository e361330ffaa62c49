import { Doctor } from './modules/doctor/doctor.entity.js';
import { migrations } from '../migrations/index.js';

/** Entities and migrations of doctor_service, shared by the server and the migration CLI. */
export const entities = [Doctor];
export { migrations };
export const migrationsDir = new URL('../migrations', import.meta.url).pathname;
