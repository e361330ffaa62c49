import { Migration20261124000000_init } from './Migration20261124000000_init.js';
import { Migration20261130000000_verified_channels } from './Migration20261130000000_verified_channels.js';
import { Migration20261130220000_audit } from './Migration20261130220000_audit.js';
import { Migration20261130230000_care_access } from './Migration20261130230000_care_access.js';
import { Migration20261130220000_outbox_published_idx } from './Migration20261130220000_outbox_published_idx.js';
import { Migration20261201000000_users_tokens_valid_after_idx } from './Migration20261201000000_users_tokens_valid_after_idx.js';

/** Committed migrations in order; new ones are appended here (see README "Migrations"). */
export const migrations = [
  { name: 'Migration20261124000000_init', class: Migration20261124000000_init },
  { name: 'Migration20261130000000_verified_channels', class: Migration20261130000000_verified_channels },
  { name: 'Migration20261130220000_audit', class: Migration20261130220000_audit },
  { name: 'Migration20261130230000_care_access', class: Migration20261130230000_care_access },
  { name: 'Migration20261130220000_outbox_published_idx', class: Migration20261130220000_outbox_published_idx },
  { name: 'Migration20261201000000_users_tokens_valid_after_idx', class: Migration20261201000000_users_tokens_valid_after_idx },
];
