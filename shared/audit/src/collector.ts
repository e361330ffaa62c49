import type { EntityManager } from '@mikro-orm/postgresql';
import { UseMiddleware, type MiddlewareFn } from 'type-graphql';
import { holdResponseUntil } from '@hc/graphql';
import { appendAuditEvents } from './append.js';
import type { AuditAction, AuditEventInput } from './event.js';

/** What the collector needs from a subgraph's request context (every subgraph's has these). */
export interface AuditContext {
  auth: { user: { id: string; role: string } | null };
  requestId: string;
  em?: EntityManager;
}

let enabled = true;

/**
 * Turns auditing off for this process. Only the audit benchmark does this, to measure the
 * overhead; deployed services have no configuration that disables their audit trail.
 */
export function setAuditEnabled(on: boolean): void {
  enabled = on;
}
export const auditEnabled = (): boolean => enabled;

/**
 * The protected reads of one request, merged per resource: a page of 100 profiles becomes 100
 * events (one per patient, with the union of fields read) written by ONE insert before the
 * response is sent.
 */
export class ReadCollector {
  private readonly events = new Map<string, AuditEventInput>();

  constructor(private readonly ctx: AuditContext) {}

  add(event: Omit<AuditEventInput, 'actorId' | 'actorRole' | 'requestId' | 'action'> & { action?: AuditAction }): void {
    const action = event.action ?? 'READ';
    const key = `${action}\u0000${event.resourceType}\u0000${event.resourceId ?? ''}\u0000${event.patientId ?? ''}`;
    const existing = this.events.get(key);
    if (existing) {
      for (const f of event.fields) if (!existing.fields.includes(f)) existing.fields.push(f);
      return;
    }
    const user = this.ctx.auth.user;
    this.events.set(key, {
      ...event,
      action,
      fields: [...event.fields],
      actorId: user?.id ?? null,
      actorRole: user?.role ?? null,
      requestId: this.ctx.requestId,
      occurredAt: new Date(),
    });
  }

  get size(): number {
    return this.events.size;
  }

  /** Appends everything collected in one transaction (one insert); throws if it cannot. */
  async flush(service: string): Promise<void> {
    if (this.events.size === 0) return;
    const em = this.ctx.em;
    if (!em) throw new Error('audit: the request context has no EntityManager');
    const events = [...this.events.values()];
    this.events.clear();
    await em.fork().transactional((tx) => appendAuditEvents(tx as EntityManager, service, events));
  }
}

const collectors = new WeakMap<object, ReadCollector>();

/**
 * This request's read collector; the first call also holds the response until the collected
 * reads are recorded (so protected data never leaves unrecorded).
 */
export function readCollector(ctx: AuditContext): ReadCollector {
  let collector = collectors.get(ctx);
  if (!collector) {
    const created = new ReadCollector(ctx);
    collector = created;
    collectors.set(ctx, created);
    holdResponseUntil(ctx, ({ service }) => created.flush(service));
  }
  return collector;
}

/** Which resource a protected value belongs to; null = nothing to record (e.g. the patient reading their own contact details). */
export type DescribeRead<TRoot, TContext> = (
  root: TRoot,
  ctx: TContext,
  value: unknown,
) => { resourceId: string | null; patientId: string | null } | null;

/**
 * Marks a field (entity property or field resolver) as protected: every non-null value it returns
 * is recorded as a READ of `resourceType` with the field's name, before the response leaves.
 *
 *   @Audited('PatientProfile', (p: PatientProfile) => ({ resourceId: p.userId, patientId: p.userId }))
 */
export function Audited<TRoot = any, TContext extends AuditContext = any>(
  resourceType: string,
  describe: DescribeRead<TRoot, TContext>,
) {
  const middleware: MiddlewareFn<TContext> = async ({ root, context, info }, next) => {
    const value = await next();
    if (!enabled || value === null || value === undefined) return value;
    const target = describe(root as TRoot, context, value);
    if (target) readCollector(context).add({ resourceType, ...target, fields: [info.fieldName] });
    return value;
  };
  return UseMiddleware(middleware);
}

/**
 * Records reads that a resolver returns as a whole (a list of records), e.g. `myPrescriptions`:
 * call it from the resolver or service with the records it is about to return.
 */
export function recordReads(
  ctx: AuditContext,
  resourceType: string,
  reads: { resourceId: string | null; patientId: string | null; fields: string[] }[],
): void {
  if (!enabled) return;
  const collector = readCollector(ctx);
  for (const r of reads) collector.add({ resourceType, ...r });
}

/**
 * Records a create/update/delete of protected data inside the transaction that makes it (`tx`
 * from `em.transactional`): the change and its audit event commit or roll back together.
 */
export async function auditChange(
  tx: EntityManager,
  service: string,
  ctx: AuditContext | null,
  change: {
    action: Exclude<AuditAction, 'READ'>;
    resourceType: string;
    resourceId: string | null;
    patientId: string | null;
    fields: string[];
  },
): Promise<void> {
  if (!enabled) return;
  const user = ctx?.auth.user ?? null;
  await appendAuditEvents(tx, service, [
    { ...change, actorId: user?.id ?? null, actorRole: user?.role ?? null, requestId: ctx?.requestId ?? null },
  ]);
}
