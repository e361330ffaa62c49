import type { EntityManager } from '@mikro-orm/postgresql';
import { BadUserInputError, pageSize, type ConnectionShape } from '@hc/graphql';
import { recordFromRow, recordReads, storeCollected } from '@hc/audit';
import type { AuditRecordedEvent } from '@hc/jobs';
import type { AuditEventView, AuditFilter } from './audit-event.types.js';
import type { AuthSubgraphContext } from '../../context.js';

/** Keyset cursor over (occurred_at desc, id desc): stable while new events keep arriving. */
const cursor = {
  encode: (e: AuditEventView): string => Buffer.from(`${e.occurredAt.toISOString()}|${e.id}`).toString('base64url'),
  decode: (value: string): { at: Date; id: string } => {
    const m = /^(\d{4}-\d\d-\d\dT[\d:.]+Z)\|([0-9a-f-]{36})$/.exec(Buffer.from(value, 'base64url').toString());
    if (!m) throw BadUserInputError.field('after', 'after is not a valid cursor');
    return { at: new Date(m[1]), id: m[2] };
  },
};

interface Where {
  patientId?: string | null;
  actorId?: string | null;
  resourceType?: string | null;
  from?: Date | null;
  to?: Date | null;
}

/** One page of auth's collected trail, newest first, with the total for the same filter. */
async function page(
  em: EntityManager,
  where: Where,
  first: number | null | undefined,
  after: string | null | undefined,
): Promise<ConnectionShape<AuditEventView>> {
  const size = pageSize(first);
  const clauses: string[] = [];
  const params: unknown[] = [];
  const add = (sql: string, value: unknown) => {
    clauses.push(sql);
    params.push(value);
  };
  if (where.patientId) add(`"patient_id" = ?`, where.patientId);
  if (where.actorId) add(`"actor_id" = ?`, where.actorId);
  if (where.resourceType) add(`"resource_type" = ?`, where.resourceType);
  if (where.from) add(`"occurred_at" >= ?`, where.from);
  if (where.to) add(`"occurred_at" < ?`, where.to);
  const filter = clauses.length ? `where ${clauses.join(' and ')}` : '';
  const conn = em.getConnection();
  const pageClauses = [...clauses];
  const pageParams = [...params];
  if (after) {
    const c = cursor.decode(after);
    pageClauses.push(`("occurred_at", "id") < (?, ?)`);
    pageParams.push(c.at, c.id);
  }
  const pageFilter = pageClauses.length ? `where ${pageClauses.join(' and ')}` : '';
  const [rows, [{ count }]] = await Promise.all([
    conn.execute<Record<string, unknown>[]>(
      `select * from "audit_collected" ${pageFilter} order by "occurred_at" desc, "id" desc limit ${size + 1}`,
      pageParams,
    ),
    conn.execute<{ count: string }[]>(`select count(*) as count from "audit_collected" ${filter}`, params),
  ]);
  const nodes = rows.slice(0, size).map((row) => recordFromRow(row) as unknown as AuditEventView);
  return {
    nodes,
    totalCount: Number(count),
    pageInfo: { endCursor: nodes.length ? cursor.encode(nodes[nodes.length - 1]) : null, hasNextPage: rows.length > size },
  };
}

/** The signed-in user's access log: every recorded read or change of their health data, by anyone. */
export function myAccessLog(
  ctx: AuthSubgraphContext,
  userId: string,
  first: number | null | undefined,
  after: string | null | undefined,
): Promise<ConnectionShape<AuditEventView>> {
  return page(ctx.em, { patientId: userId }, first, after);
}

/** Admin search over the whole trail; the search itself is recorded as a read of the audit log. */
export async function searchAuditEvents(
  ctx: AuthSubgraphContext,
  filter: AuditFilter | null | undefined,
  first: number | null | undefined,
  after: string | null | undefined,
): Promise<ConnectionShape<AuditEventView>> {
  const result = await page(ctx.em, filter ?? {}, first, after);
  const used = Object.entries(filter ?? {})
    .filter(([, v]) => v != null)
    .map(([k]) => `filter.${k}`);
  recordReads(ctx, 'AuditLog', [{ resourceId: null, patientId: filter?.patientId ?? null, fields: ['auditEvents', ...used] }]);
  return result;
}

/** Consumer side: a batch relayed from another subgraph's trail joins the collected copy. */
export const collectRelayed = (em: EntityManager, event: AuditRecordedEvent): Promise<void> => storeCollected(em, event);
