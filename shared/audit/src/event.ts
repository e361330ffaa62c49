import { createHash } from 'node:crypto';

export type AuditAction = 'READ' | 'CREATE' | 'UPDATE' | 'DELETE';
export const AUDIT_ACTIONS: readonly AuditAction[] = ['READ', 'CREATE', 'UPDATE', 'DELETE'];

/** What a caller describes; the chain adds id, seq and hashes when it is appended. */
export interface AuditEventInput {
  /** The user who acted; null when the system acted (a job, a consumer). */
  actorId: string | null;
  actorRole: string | null;
  action: AuditAction;
  /** PatientProfile, User, Appointment, Prescription, AuditLog, ... */
  resourceType: string;
  resourceId: string | null;
  /** Whose health data it was. */
  patientId: string | null;
  /** Which protected fields were read or changed. */
  fields: string[];
  requestId: string | null;
  occurredAt?: Date;
}

/** One link of a subgraph's chain, as stored in its `audit_events` table and relayed to auth. */
export interface AuditRecord {
  id: string;
  service: string;
  /** 1, 2, 3, ... per subgraph, no gaps. */
  seq: number;
  occurredAt: Date;
  actorId: string | null;
  actorRole: string | null;
  action: AuditAction;
  resourceType: string;
  resourceId: string | null;
  patientId: string | null;
  fields: string[];
  requestId: string | null;
  prevHash: string;
  hash: string;
}

/** The previous hash of the first link. */
export const GENESIS_HASH = '0'.repeat(64);

/**
 * The bytes that are hashed: a JSON array in a fixed order (no key-order ambiguity), times as
 * ISO strings with milliseconds, fields sorted. Changing this breaks every existing chain.
 */
export function canonicalize(record: Omit<AuditRecord, 'hash' | 'prevHash'>): string {
  return JSON.stringify([
    record.id,
    record.service,
    record.seq,
    record.occurredAt.toISOString(),
    record.actorId,
    record.actorRole,
    record.action,
    record.resourceType,
    record.resourceId,
    record.patientId,
    [...record.fields].sort(),
    record.requestId,
  ]);
}

/** sha256(previous hash + "\n" + canonical event), hex. */
export function chainHash(prevHash: string, record: Omit<AuditRecord, 'hash' | 'prevHash'>): string {
  return createHash('sha256')
    .update(`${prevHash}\n${canonicalize(record)}`)
    .digest('hex');
}

/** A stored row (snake_case, bigint as string) → AuditRecord. */
export function recordFromRow(row: Record<string, unknown>): AuditRecord {
  return {
    id: String(row.id),
    service: String(row.service),
    seq: Number(row.seq),
    occurredAt: row.occurred_at instanceof Date ? row.occurred_at : new Date(String(row.occurred_at)),
    actorId: (row.actor_id as string | null) ?? null,
    actorRole: (row.actor_role as string | null) ?? null,
    action: row.action as AuditAction,
    resourceType: String(row.resource_type),
    resourceId: (row.resource_id as string | null) ?? null,
    patientId: (row.patient_id as string | null) ?? null,
    fields: parseTextArray(row.fields),
    requestId: (row.request_id as string | null) ?? null,
    prevHash: String(row.prev_hash),
    hash: String(row.hash),
  };
}

/** node-postgres returns text[] as an array; other drivers as the '{a,b}' literal. */
function parseTextArray(value: unknown): string[] {
  if (Array.isArray(value)) return value.map(String);
  if (typeof value === 'string') {
    const inner = value.replace(/^\{|\}$/g, '');
    return inner ? inner.split(',').map((s) => s.replace(/^"|"$/g, '')) : [];
  }
  return [];
}

/** The JSON form relayed through the outbox (dates as ISO strings). */
export type AuditRecordJson = Omit<AuditRecord, 'occurredAt'> & { occurredAt: string };

export const toJson = (r: AuditRecord): AuditRecordJson => ({ ...r, occurredAt: r.occurredAt.toISOString() });
export const fromJson = (r: AuditRecordJson): AuditRecord => ({ ...r, occurredAt: new Date(r.occurredAt) });
