import type { Job } from 'bullmq';
import type { MikroORM } from '@mikro-orm/postgresql';
import type { AuditRecordedEvent } from '@hc/jobs';
import { collectRelayed } from './audit.service.js';

/**
 * Handler for `audit.recorded` jobs on auth's events queue: another subgraph's freshly appended
 * audit events join auth's collected copy (idempotent, so a redelivered job is harmless).
 */
export const auditRecordedHandler = (orm: MikroORM) => async (job: Job<AuditRecordedEvent>) => {
  await collectRelayed(orm.em.fork(), job.data);
};
