import { recordReads } from '@hc/audit';
import type { DoctorSubgraphContext } from '../../context.js';

export interface DocumentUrlRead {
  doctorId: string;
  documentId: string;
  kind: string;
}

/**
 * Every signed download URL of a doctor's document handed out (`DoctorDocument.downloadUrl`) is a
 * read of protected data: it joins the request's audit events, recorded before the response leaves
 * (one insert per request however many documents). Ids only, never the URL: it is a bearer credential.
 */
export async function auditDoctorDocumentUrlRead(ctx: DoctorSubgraphContext, read: DocumentUrlRead): Promise<void> {
  recordReads(ctx, 'DoctorDocument', [{ resourceId: read.documentId, patientId: null, fields: ['downloadUrl'] }]);
}
