import { BadUserInputError, ForbiddenError } from '@hc/graphql';
import { DOCUMENT_CONTENT_TYPES, DoctorDocument, type DoctorDocumentKind, type DocumentUpload } from './document.entity.js';
import type { Doctor } from '../doctor/doctor.entity.js';
import { canSeePrivateDoctor } from '../doctor/doctor.service.js';
import { requireMyDoctor } from '../access.js';
import { auditDoctorDocumentUrlRead } from './document.audit.js';
import { load } from '../loaders.js';
import type { DocumentStore } from './document.store.js';
import type { DoctorSubgraphContext } from '../../context.js';

function storeOf(ctx: DoctorSubgraphContext): DocumentStore & { maxBytes: number; ttlSeconds: number } {
  if (!ctx.documents) throw new Error('document store not configured');
  return ctx.documents;
}

/**
 * The calling doctor asks to upload their ID card or license: a PDF, JPEG or PNG of 1 byte to
 * DOCUMENT_MAX_BYTES. Any verification status may upload (a PENDING doctor needs to). The
 * returned URL accepts exactly this type and size until it expires.
 */
export async function requestDocumentUpload(
  ctx: DoctorSubgraphContext,
  kind: DoctorDocumentKind,
  contentType: string,
  size: number,
): Promise<DocumentUpload> {
  const doctor = await requireMyDoctor(ctx);
  const store = storeOf(ctx);
  const type = contentType.trim().toLowerCase();
  const problems = [];
  if (!(DOCUMENT_CONTENT_TYPES as readonly string[]).includes(type))
    problems.push({ field: 'contentType', message: `contentType must be one of ${DOCUMENT_CONTENT_TYPES.join(', ')}` });
  if (!Number.isSafeInteger(size) || size < 1 || size > store.maxBytes)
    problems.push({ field: 'size', message: `size must be 1 to ${store.maxBytes} bytes` });
  if (problems.length) throw new BadUserInputError('Invalid document', problems);
  const doc = new DoctorDocument();
  Object.assign(doc, {
    doctorId: doctor.id,
    kind,
    contentType: type,
    size,
    uploadExpiresAt: new Date(Date.now() + store.ttlSeconds * 1000),
  });
  doc.storageKey = `${doctor.id}/${kind}/${doc.id}`;
  await ctx.em.fork().persist(doc).flush();
  return {
    uploadUrl: await store.uploadUrl(doc.storageKey, { contentType: type, size }, doc.uploadExpiresAt),
    expiresAt: doc.uploadExpiresAt,
  };
}

/**
 * The doctor's current documents (newest upload per kind): the doctor and admins only. Rows whose
 * upload has not been seen yet are checked against the store once (the object must have the
 * requested size and type) and marked uploaded.
 */
export async function documentsOf(ctx: DoctorSubgraphContext, doctor: Doctor): Promise<DoctorDocument[]> {
  if (!canSeePrivateDoctor(doctor, ctx)) throw new ForbiddenError("Only the doctor and admins see the doctor's documents");
  const store = storeOf(ctx);
  // Batched across doctors (an admin's review page lists many): one query, not one per doctor.
  const rows = await load.documentsOfDoctor(ctx, doctor.id);
  await Promise.all(
    rows
      .filter((r) => !r.uploadedAt && r.requestedAt.getTime() > Date.now() - 24 * 3600_000)
      .map(async (row) => {
        const object = await store.stat(row.storageKey);
        if (!object || object.size !== row.size || object.contentType !== row.contentType) return;
        row.uploadedAt = object.lastModified;
        await ctx.em.nativeUpdate(DoctorDocument, { id: row.id, uploadedAt: null }, { uploadedAt: object.lastModified });
      }),
  );
  const current = new Map<DoctorDocumentKind, DoctorDocument>();
  for (const row of rows) if (row.uploadedAt && !current.has(row.kind)) current.set(row.kind, row);
  return [...current.values()].sort((a, b) => a.kind.localeCompare(b.kind));
}

/** A short-lived download URL; every one handed out goes through the audit hook first. */
export async function downloadUrlOf(ctx: DoctorSubgraphContext, doc: DoctorDocument): Promise<string> {
  const store = storeOf(ctx);
  await auditDoctorDocumentUrlRead(ctx, { doctorId: doc.doctorId, documentId: doc.id, kind: doc.kind });
  return store.downloadUrl(doc.storageKey, new Date(Date.now() + store.ttlSeconds * 1000));
}
