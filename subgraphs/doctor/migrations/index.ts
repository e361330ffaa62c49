import { Migration20261124000000_init } from './Migration20261124000000_init.js';
import { Migration20261130210000_prescriptions } from './Migration20261130210000_prescriptions.js';
import { Migration20261130220000_waitlist } from './Migration20261130220000_waitlist.js';
import { Migration20261130220000_audit } from './Migration20261130220000_audit.js';
import { Migration20261130223000_documents } from './Migration20261130223000_documents.js';
import { Migration20261130230000_booked_by } from './Migration20261130230000_booked_by.js';
import { Migration20261130220000_non_probing } from './Migration20261130220000_non_probing.js';
import { Migration20261130220000_outbox_published_idx } from './Migration20261130220000_outbox_published_idx.js';
import { Migration20261201000000_no_show_frees_time } from './Migration20261201000000_no_show_frees_time.js';

/** Committed migrations in order; new ones are appended here (see README "Migrations"). */
export const migrations = [
  { name: 'Migration20261124000000_init', class: Migration20261124000000_init },
  { name: 'Migration20261130210000_prescriptions', class: Migration20261130210000_prescriptions },
  { name: 'Migration20261130220000_waitlist', class: Migration20261130220000_waitlist },
  { name: 'Migration20261130220000_audit', class: Migration20261130220000_audit },
  { name: 'Migration20261130223000_documents', class: Migration20261130223000_documents },
  { name: 'Migration20261130230000_booked_by', class: Migration20261130230000_booked_by },
  { name: 'Migration20261130220000_non_probing', class: Migration20261130220000_non_probing },
  { name: 'Migration20261130220000_outbox_published_idx', class: Migration20261130220000_outbox_published_idx },
  { name: 'Migration20261201000000_no_show_frees_time', class: Migration20261201000000_no_show_frees_time },
];
