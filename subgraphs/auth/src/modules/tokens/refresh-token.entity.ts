import { Entity, Property } from '@mikro-orm/decorators/legacy';
import { CreatedEntity } from '@hc/db';

/**
 * One refresh token of a login session ("family"). The token itself is only shown once; the
 * row keeps its SHA-256 (the token is 256 random bits, so a fast hash is enough).
 */
@Entity({ tableName: 'refresh_tokens' })
export class RefreshToken extends CreatedEntity {
  @Property({ type: 'uuid' })
  userId!: string;

  @Property({ type: 'uuid' })
  familyId!: string;

  @Property({ type: 'string', length: 64, hidden: true })
  tokenHash!: string;

  /** Absolute end of the family (login + 7 days); rotation never extends it. */
  @Property({ type: 'timestamptz' })
  familyExpiresAt!: Date;

  @Property({ type: 'timestamptz' })
  idleExpiresAt!: Date;

  /** Set when rotated: presenting it again is reuse. */
  @Property({ type: 'timestamptz', nullable: true })
  usedAt?: Date | null;

  @Property({ type: 'timestamptz', nullable: true })
  revokedAt?: Date | null;
}
