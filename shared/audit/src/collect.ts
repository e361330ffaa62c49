import type { EntityManager } from '@mikro-orm/postgresql';
import type { AuditRecordedEvent } from '@hc/jobs';
import { insertRecordsSql } from './append.js';
import { fromJson } from './event.js';

/**
 * Stores a relayed batch in auth's `audit_collected` (one insert). A batch delivered twice (relay
 * or queue retry) is stored once: (service, seq) is unique and repeats are skipped, never updated.
 */
export async function storeCollected(em: EntityManager, event: AuditRecordedEvent): Promise<void> {
  if (event.events.length === 0) return;
  const { sql, params } = insertRecordsSql('audit_collected', event.events.map(fromJson));
  await em.getConnection().execute(`${sql} on conflict ("service", "seq") do nothing`, params, 'run');
}
