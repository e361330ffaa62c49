import { Migration20261124000000_init } from './Migration20261124000000_init.js';

/** Committed migrations in order; new ones are appended here (see README "Migrations"). */
export const migrations = [{ name: 'Migration20261124000000_init', class: Migration20261124000000_init }];
