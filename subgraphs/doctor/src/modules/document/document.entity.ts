import { randomUUID } from 'node:crypto';
import { Entity, Enum, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';
import { Field, Int, ObjectType, registerEnumType } from 'type-graphql';

export enum DoctorDocumentKind {
  ID_CARD = 'ID_CARD',
  MEDICAL_LICENSE = 'MEDICAL_LICENSE',
}
registerEnumType(DoctorDocumentKind, { name: 'DoctorDocumentKind' });

/** Accepted document formats (checked when the upload is requested and again when it arrives). */
export const DOCUMENT_CONTENT_TYPES = ['application/pdf', 'image/jpeg', 'image/png'] as const;

/**
 * One requested upload of a doctor's document. The object in the store is the truth: a row whose
 * object arrived (with the requested size and type) gets `uploadedAt`; the newest uploaded row per
 * kind is the doctor's current document. The storage key is never exposed.
 */
@Entity({ tableName: 'doctor_documents' })
@ObjectType({ description: "A doctor's uploaded document (the doctor and admins only)." })
export class DoctorDocument {
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @Property({ type: 'uuid' })
  doctorId!: string;

  @Enum({ items: () => DoctorDocumentKind, columnType: 'varchar(20)' })
  @Field(() => DoctorDocumentKind)
  kind!: DoctorDocumentKind;

  @Property({ type: 'string', length: 200, unique: true })
  storageKey!: string;

  @Property({ type: 'string', length: 50 })
  @Field()
  contentType!: string;

  @Property({ type: 'integer' })
  @Field(() => Int, { description: 'Bytes.' })
  size!: number;

  @Property({ type: 'timestamptz' })
  requestedAt: Date = new Date();

  /** Until then the upload URL is valid; a row never uploaded by then is ignored. */
  @Property({ type: 'timestamptz' })
  uploadExpiresAt!: Date;

  @Property({ type: 'timestamptz', nullable: true })
  @Field(() => Date, { nullable: true })
  uploadedAt?: Date | null;
}

@ObjectType({ description: 'Where to PUT the file: send the same Content-Type and exactly `size` bytes before expiresAt.' })
export class DocumentUpload {
  @Field() uploadUrl!: string;
  @Field() expiresAt!: Date;
}
