import type { DoctorSubgraphContext } from '../../context.js';

export interface DocumentUrlRead {
  doctorId: string;
  documentId: string;
  kind: string;
}

/**
 * AUDIT HOOK: called once for every signed download URL of a doctor's document handed out
 * (`DoctorDocument.downloadUrl`), before the URL is made, with the caller in `ctx.auth`. The audit
 * trail records the read here like other protected data; until it is wired in, the read is only
 * logged (ids, never the URL: it is a bearer credential).
 */
export async function auditDoctorDocumentUrlRead(ctx: DoctorSubgraphContext, read: DocumentUrlRead): Promise<void> {
  ctx.logger.info({ audit: 'doctor_document.url_read', userId: ctx.auth.user?.id, ...read }, 'document URL issued');
}
