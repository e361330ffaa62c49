import { randomUUID } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { AuditRecordedEvent } from '@hc/jobs';
import { chainHash, toJson, type AuditEventInput, type AuditRecord } from './event.js';

const COLUMNS = [
  'id',
  'service',
  'seq',
  'occurred_at',
  'actor_id',
  'actor_role',
  'action',
  'resource_type',
  'resource_id',
  'patient_id',
  'fields',
  'request_id',
  'prev_hash',
  'hash',
];

/** Where a subgraph's events go after its own table: auth keeps them itself, the others relay them to auth. */
export type AuditSink = 'collect-locally' | 'outbox';

/** Every subgraph relays to auth except auth, which owns the collected table. */
export const sinkOf = (service: string): AuditSink => (service === 'auth' ? 'collect-locally' : 'outbox');

/**
 * `insert into <table> (...)` for records: one statement and one parameter whatever their number
 * (the batch travels as a JSON array and is expanded by PostgreSQL into rows of audit_events' type).
 */
export function insertRecordsSql(table: string, records: AuditRecord[]): { sql: string; params: unknown[] } {
  const cols = COLUMNS.map((c) => `"${c}"`).join(', ');
  const rows = records.map((r) => ({
    id: r.id,
    service: r.service,
    seq: r.seq,
    occurred_at: r.occurredAt.toISOString(),
    actor_id: r.actorId,
    actor_role: r.actorRole,
    action: r.action,
    resource_type: r.resourceType,
    resource_id: r.resourceId,
    patient_id: r.patientId,
    fields: r.fields,
    request_id: r.requestId,
    prev_hash: r.prevHash,
    hash: r.hash,
  }));
  return {
    sql: `insert into "${table}" (${cols}) select ${cols} from jsonb_populate_recordset(null::"audit_events", ?::jsonb)`,
    params: [JSON.stringify(rows)],
  };
}

/**
 * Appends events to this subgraph's chain inside the caller's transaction (`tx` from
 * `em.transactional`): the chain head row is locked first, so concurrent writers queue and each
 * batch continues from the last committed hash; a rollback takes the events with it. All events
 * go in ONE insert. Then they are handed on toward auth's collected table in the same transaction.
 */
export async function appendAuditEvents(
  tx: EntityManager,
  service: string,
  events: AuditEventInput[],
  sink: AuditSink = sinkOf(service),
): Promise<AuditRecord[]> {
  if (events.length === 0) return [];
  const conn = tx.getConnection();
  const trx = tx.getTransactionContext();
  if (!trx) throw new Error('appendAuditEvents must run inside a transaction');
  const [head] = await conn.execute<{ seq: string; hash: string }[]>(
    `select "seq", "hash" from "audit_chain_head" where "id" for update`,
    [],
    'all',
    trx,
  );
  if (!head) throw new Error('audit chain head missing: run the audit migration');
  let seq = Number(head.seq);
  let prevHash = head.hash;
  const records: AuditRecord[] = events.map((e) => {
    seq += 1;
    const base = {
      id: randomUUID(),
      service,
      seq,
      occurredAt: e.occurredAt ?? new Date(),
      actorId: e.actorId,
      actorRole: e.actorRole,
      action: e.action,
      resourceType: e.resourceType,
      resourceId: e.resourceId,
      patientId: e.patientId,
      fields: [...new Set(e.fields)].sort(),
      requestId: e.requestId,
    };
    const hash = chainHash(prevHash, base);
    const record = { ...base, prevHash, hash };
    prevHash = hash;
    return record;
  });
  // One round trip while the head is locked: the batch insert, the head move and the hand-on
  // toward auth are data-modifying parts of one statement (all or nothing with the transaction).
  const insert = insertRecordsSql('audit_events', records);
  const cols = COLUMNS.map((c) => `"${c}"`).join(', ');
  const handOn =
    sink === 'collect-locally'
      ? { sql: `insert into "audit_collected" (${cols}) select ${cols} from "batch"`, params: [] as unknown[] }
      : {
          sql: `insert into "outbox" ("id", "topic", "payload") values (?, 'audit.recorded', ?::jsonb)`,
          params: [randomUUID(), JSON.stringify({ service, events: records.map(toJson) } satisfies AuditRecordedEvent)],
        };
  await conn.execute(
    `with "batch" as (${insert.sql} returning *),
          "head" as (update "audit_chain_head" set "seq" = ?, "hash" = ? where "id" returning 1),
          "hand_on" as (${handOn.sql} returning 1)
     select (select count(*) from "batch") as n`,
    [...insert.params, seq, prevHash, ...handOn.params],
    'all',
    trx,
  );
  return records;
}
