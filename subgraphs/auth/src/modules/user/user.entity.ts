import { Entity, Enum, Index, Property } from '@mikro-orm/decorators/legacy';
import { TimestampedEntity } from '@hc/db';
import { Directive, Field, ID, ObjectType, registerEnumType } from 'type-graphql';

import type { Role as RoleName } from '@hc/auth';

export enum Role {
  PATIENT = 'PATIENT',
  DOCTOR = 'DOCTOR',
  ASSISTANT = 'ASSISTANT',
  PHARMACY = 'PHARMACY',
  ADMIN = 'ADMIN',
}
registerEnumType(Role, { name: 'Role' });

/**
 * An account. Credentials and secrets have no @Field and never reach the API; email and other
 * personal fields are exposed through authorized field resolvers (user.resolver.ts).
 */
@Entity({ tableName: 'users' })
@ObjectType()
@Directive('@key(fields: "id")')
export class User extends TimestampedEntity {
  @Field(() => ID)
  override id!: string;

  @Property({ type: 'string', length: 120 })
  @Field()
  name!: string;

  /** Normalised (trimmed, lower-cased); unique case-insensitively via the migration's index. */
  @Property({ type: 'string', length: 254 })
  @Index({ name: 'users_email_key', expression: 'create unique index "users_email_key" on "users" (lower("email"))' })
  email!: string;

  @Property({ type: 'text', hidden: true })
  passwordHash!: string;

  @Property({ type: 'string', length: 20, nullable: true })
  phone?: string | null;

  @Enum({ items: () => Role, nativeEnumName: 'user_role' })
  @Field(() => Role)
  role!: RoleName;

  /** The account proved one contact (the one its verification code went to): it may sign in. */
  @Property({ type: 'boolean', default: false })
  @Field()
  isVerified: boolean = false;

  /**
   * When the account proved it receives mail at `email`. Null for an account verified by phone
   * only: the email may be someone else's, so nothing security-relevant is sent there.
   */
  @Property({ type: 'timestamptz', nullable: true })
  emailVerifiedAt?: Date | null;

  /** When the account proved it receives messages at `phone` (SMS/WhatsApp code). */
  @Property({ type: 'timestamptz', nullable: true })
  phoneVerifiedAt?: Date | null;

  @Property({ type: 'text', nullable: true })
  @Field(() => String, { nullable: true })
  profilePictureUrl?: string | null;

  @Property({ type: 'date', nullable: true })
  dateOfBirth?: string | null;

  @Property({ type: 'string', length: 40, nullable: true })
  gender?: string | null;

  /** Bumped on password change/reset: access tokens issued before `tokensValidAfter` fail. */
  @Property({ type: 'timestamptz', nullable: true })
  tokensValidAfter?: Date | null;

  @Field()
  override createdAt!: Date;
}
