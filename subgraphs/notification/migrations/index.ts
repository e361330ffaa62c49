import { Migration20261124000000_init } from './Migration20261124000000_init.js';
import { Migration20261130220000_push } from './Migration20261130220000_push.js';
import { Migration20261130220000_reconcile } from './Migration20261130220000_reconcile.js';

/** Committed migrations in order; new ones are appended here (see README "Migrations"). */
export const migrations = [
  { name: 'Migration20261124000000_init', class: Migration20261124000000_init },
  { name: 'Migration20261130220000_push', class: Migration20261130220000_push },
  { name: 'Migration20261130220000_reconcile', class: Migration20261130220000_reconcile },
];
