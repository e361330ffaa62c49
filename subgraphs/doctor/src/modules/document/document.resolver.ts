import { Arg, Authorized, Ctx, FieldResolver, Int, Mutation, Resolver, Root } from 'type-graphql';
import { DoctorDocument, DoctorDocumentKind, DocumentUpload } from './document.entity.js';
import { documentsOf, downloadUrlOf, requestDocumentUpload } from './document.service.js';
import { Doctor } from '../doctor/doctor.entity.js';
import type { DoctorSubgraphContext } from '../../context.js';

@Resolver(() => DoctorDocument)
export class DoctorDocumentResolver {
  @Authorized('DOCTOR')
  @Mutation(() => DocumentUpload, {
    description:
      'Doctor: a signed URL to PUT their ID card or medical license (application/pdf, image/jpeg or image/png; at most DOCUMENT_MAX_BYTES, 10 MB by default). The PUT must carry the same Content-Type and exactly `size` bytes before expiresAt.',
  })
  requestDoctorDocumentUpload(
    @Arg('kind', () => DoctorDocumentKind) kind: DoctorDocumentKind,
    @Arg('contentType', () => String) contentType: string,
    @Arg('size', () => Int) size: number,
    @Ctx() ctx: DoctorSubgraphContext,
  ): Promise<DocumentUpload> {
    return requestDocumentUpload(ctx, kind, contentType, size);
  }

  @FieldResolver(() => String, {
    description: 'A short-lived signed URL (DOCUMENT_URL_TTL_SECONDS); every one issued is audited.',
  })
  downloadUrl(@Root() doc: DoctorDocument, @Ctx() ctx: DoctorSubgraphContext): Promise<string> {
    return downloadUrlOf(ctx, doc);
  }
}

@Resolver(() => Doctor)
export class DoctorDocumentsResolver {
  @FieldResolver(() => [DoctorDocument], {
    description: 'The current ID card and medical license (newest upload of each): the doctor and admins only.',
  })
  documents(@Root() doctor: Doctor, @Ctx() ctx: DoctorSubgraphContext): Promise<DoctorDocument[]> {
    return documentsOf(ctx, doctor);
  }
}
