import { Entity, Enum, Property } from '@mikro-orm/decorators/legacy';
import { TimestampedEntity } from '@hc/db';
import { Field, ID, Int, ObjectType, registerEnumType } from 'type-graphql';
import { NotificationChannel } from '../template/template.entity.js';

export enum NotificationStatus {
  QUEUED = 'QUEUED',
  SENT = 'SENT',
  DELIVERED = 'DELIVERED',
  FAILED = 'FAILED',
  SKIPPED = 'SKIPPED',
}
registerEnumType(NotificationStatus, { name: 'NotificationStatus' });

/**
 * The delivery record of one logical message, unique by idempotency key: the worker sends only
 * while it is QUEUED and it holds the lease, so a retried or duplicated job never sends twice.
 * Also the user's notification history (destination masked, no variables stored).
 */
@Entity({ tableName: 'notifications' })
@ObjectType('Notification')
export class Notification extends TimestampedEntity {
  @Field(() => ID)
  override id!: string;

  @Property({ type: 'string', length: 200, unique: 'notifications_idempotency_key_unique' })
  idempotencyKey!: string;

  @Property({ type: 'uuid', nullable: true })
  outboxId?: string | null;

  @Property({ type: 'string', length: 100, nullable: true })
  jobId?: string | null;

  /**
   * The job's data (secrets redacted) while the message is pending, for the reconciler to
   * re-enqueue it if Redis loses the job; cleared once the message is final. Never in the API.
   */
  @Property({ type: 'json', nullable: true, lazy: true })
  request?: Record<string, unknown> | null;

  @Property({ type: 'uuid' })
  userId!: string;

  @Property({ type: 'string', length: 100 })
  @Field()
  template!: string;

  @Enum({ items: () => NotificationChannel, nativeEnumName: 'notification_channel' })
  @Field(() => NotificationChannel)
  channel!: NotificationChannel;

  @Property({ type: 'string', length: 200 })
  @Field({ description: 'Masked, e.g. "a***@example.com".' })
  destination: string = '';

  @Enum({ items: () => NotificationStatus, nativeEnumName: 'notification_status' })
  @Field(() => NotificationStatus)
  status: NotificationStatus = NotificationStatus.QUEUED;

  @Property({ type: 'integer' })
  @Field(() => Int)
  attempts: number = 0;

  @Property({ type: 'text', nullable: true })
  @Field(() => String, { nullable: true })
  errorMessage?: string | null;

  @Property({ type: 'string', length: 200, nullable: true })
  providerMessageId?: string | null;

  @Property({ type: 'timestamptz', nullable: true })
  @Field(() => Date, { nullable: true, description: 'When a scheduled message is due.' })
  sendAt?: Date | null;

  @Property({ type: 'boolean' })
  cancelled: boolean = false;

  @Property({ type: 'timestamptz', nullable: true })
  scheduleChangedAt?: Date | null;

  @Property({ type: 'string', length: 100, nullable: true })
  leaseJobId?: string | null;

  @Property({ type: 'timestamptz', nullable: true })
  leaseUntil?: Date | null;

  @Property({ type: 'timestamptz', nullable: true })
  @Field(() => Date, { nullable: true })
  sentAt?: Date | null;

  @Property({ type: 'timestamptz', nullable: true })
  @Field(() => Date, { nullable: true })
  deliveredAt?: Date | null;

  @Field()
  override createdAt!: Date;
}
