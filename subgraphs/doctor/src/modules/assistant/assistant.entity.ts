import { Entity, Enum, Property } from '@mikro-orm/decorators/legacy';
import { CreatedEntity, UuidEntity } from '@hc/db';
import { Field, ID, ObjectType, registerEnumType } from 'type-graphql';

export enum InviteStatus {
  PENDING = 'PENDING',
  ACCEPTED = 'ACCEPTED',
  DECLINED = 'DECLINED',
  EXPIRED = 'EXPIRED',
  REVOKED = 'REVOKED',
}
registerEnumType(InviteStatus, { name: 'InviteStatus' });

export const INVITE_TTL_DAYS = 7;

/** At most one PENDING invite per (assistant, workplace): a partial unique index holds it. */
@Entity({ tableName: 'assistant_invites' })
@ObjectType()
export class AssistantInvite extends CreatedEntity {
  @Field(() => ID)
  override id!: string;

  @Property({ type: 'uuid' })
  doctorId!: string;

  /** The invited assistant; null when no assistant had the email (such an invite only ever expires). */
  @Property({ type: 'uuid', nullable: true })
  assistantId?: string | null;

  /** The email as invited, lower-cased. */
  @Property({ type: 'string', length: 254, nullable: true })
  inviteeEmail?: string | null;

  @Property({ type: 'uuid' })
  workplaceId!: string;

  /** Stored status; a PENDING row past expiresAt reads as EXPIRED (effectiveStatus in assistant.service.ts). */
  @Enum({ items: () => InviteStatus, nativeEnumName: 'invite_status' })
  status: InviteStatus = InviteStatus.PENDING;

  @Property({ type: 'text', nullable: true })
  @Field(() => String, { nullable: true })
  message?: string | null;

  @Property({ type: 'timestamptz' })
  @Field({ description: '7 days after creation' })
  expiresAt: Date = new Date(Date.now() + INVITE_TTL_DAYS * 24 * 3600_000);

  @Property({ type: 'timestamptz', nullable: true })
  respondedAt?: Date | null;

  @Field()
  override createdAt!: Date;
}

/** An assistant working for a doctor at one workplace; revoked rows stay for history. */
@Entity({ tableName: 'assistant_assignments' })
@ObjectType()
export class AssistantAssignment extends UuidEntity {
  @Field(() => ID)
  override id!: string;

  @Property({ type: 'uuid' })
  assistantId!: string;

  @Property({ type: 'uuid' })
  workplaceId!: string;

  @Property({ type: 'uuid' })
  doctorId!: string;

  @Property({ type: 'timestamptz' })
  @Field()
  assignedAt: Date = new Date();

  @Property({ type: 'timestamptz', nullable: true })
  revokedAt?: Date | null;
}
