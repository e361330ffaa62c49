import { Entity, Enum, Property } from '@mikro-orm/decorators/legacy';
import { CreatedEntity } from '@hc/db';

export enum OtpPurpose {
  VERIFY = 'VERIFY',
  RESET = 'RESET',
}

/** A one-time code. Only its keyed hash is stored; it never gets a GraphQL field. */
@Entity({ tableName: 'otp_codes' })
export class OtpCode extends CreatedEntity {
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
}
