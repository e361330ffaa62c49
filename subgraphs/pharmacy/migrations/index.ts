import { Migration20261124000000_init } from './Migration20261124000000_init.js';
import { Migration20261130000000_prescriptions } from './Migration20261130000000_prescriptions.js';
import { Migration20261130220000_audit } from './Migration20261130220000_audit.js';
import { Migration20261130220000_deliveries } from './Migration20261130220000_deliveries.js';
import { Migration20261130220000_outbox_published_idx } from './Migration20261130220000_outbox_published_idx.js';

/** Committed migrations in order; new ones are appended here (see README "Migrations"). */
export const migrations = [
  { name: 'Migration20261124000000_init', class: Migration20261124000000_init },
  { name: 'Migration20261130000000_prescriptions', class: Migration20261130000000_prescriptions },
  { name: 'Migration20261130220000_audit', class: Migration20261130220000_audit },
  { name: 'Migration20261130220000_deliveries', class: Migration20261130220000_deliveries },
  { name: 'Migration20261130220000_outbox_published_idx', class: Migration20261130220000_outbox_published_idx },
];
