import { randomUUID } from 'node:crypto';
import { Entity, Enum, PrimaryKey, Property, Unique } from '@mikro-orm/decorators/legacy';
import { Field, ID, ObjectType, registerEnumType } from 'type-graphql';

export enum NotificationChannel {
  EMAIL = 'EMAIL',
  WHATSAPP = 'WHATSAPP',
  SMS = 'SMS',
}
registerEnumType(NotificationChannel, { name: 'NotificationChannel' });

/** A message template per (name, channel), e.g. ("auth.otp", EMAIL). */
@Entity({ tableName: 'notification_templates' })
@Unique({ properties: ['name', 'channel'] })
@ObjectType()
export class NotificationTemplate {
  @PrimaryKey({ type: 'uuid' })
  @Field(() => ID)
  id: string = randomUUID();

  @Property({ length: 100 })
  @Field()
  name!: string;

  @Enum({ items: () => NotificationChannel, nativeEnumName: 'notification_channel' })
  @Field(() => NotificationChannel)
  channel!: NotificationChannel;

  @Property({ length: 200, nullable: true })
  @Field(() => String, { nullable: true })
  subject?: string | null;

  @Property({ type: 'text' })
  @Field()
  content!: string;

  @Property({ default: true })
  @Field()
  isActive: boolean = true;

  @Property({ type: 'timestamptz' })
  createdAt: Date = new Date();

  @Property({ type: 'timestamptz', onUpdate: () => new Date() })
  updatedAt: Date = new Date();
}
