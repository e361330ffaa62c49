import { randomUUID } from 'node:crypto';
import { Entity, Enum, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';

export enum OtpPurpose {
  VERIFY = 'VERIFY',
  RESET = 'RESET',
}

/** A one-time code. Only its keyed hash is stored; it never gets a GraphQL field. */
@Entity({ tableName: 'otp_codes' })
export class OtpCode {
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @Property({ type: 'uuid' })
  userId!: string;

  @Enum({ items: () => OtpPurpose, type: 'string' })
  purpose!: OtpPurpose;

  /** Where the code was sent: using it proves that contact (email or phone). */
  @Property({ type: 'string', length: 10, default: 'EMAIL' })
  channel: string = 'EMAIL';

  @Property({ type: 'string', length: 64, hidden: true })
  codeHash!: string;

  @Property({ type: 'timestamptz' })
  expiresAt!: Date;

  @Property({ type: 'integer', default: 0 })
  attempts: number = 0;

  @Property({ type: 'timestamptz', nullable: true })
  consumedAt?: Date | null;

  @Property({ type: 'timestamptz' })
  createdAt: Date = new Date();
}
