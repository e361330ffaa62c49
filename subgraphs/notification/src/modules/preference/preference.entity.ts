import { Entity, Enum, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';
import { Field, ObjectType } from 'type-graphql';
import { NotificationChannel } from '../template/template.entity.js';

/** A user's opt-ins per channel. No row = everything enabled, no preferred channel. */
@Entity({ tableName: 'notification_preferences' })
@ObjectType()
export class NotificationPreferences {
  @PrimaryKey({ type: 'uuid' })
  userId!: string;

  @Property({ type: 'boolean', default: true })
  @Field()
  emailEnabled: boolean = true;

  @Property({ type: 'boolean', default: true })
  @Field()
  whatsappEnabled: boolean = true;

  @Property({ type: 'boolean', default: true })
  @Field()
  smsEnabled: boolean = true;

  @Property({ type: 'boolean', default: true })
  @Field()
  pushEnabled: boolean = true;

  @Enum({ items: () => NotificationChannel, nativeEnumName: 'notification_channel', nullable: true })
  @Field(() => NotificationChannel, {
    nullable: true,
    description: 'Used when a message names no channel; else EMAIL.',
  })
  preferredChannel?: NotificationChannel | null;

  @Property({ type: 'timestamptz', onUpdate: () => new Date() })
  updatedAt: Date = new Date();
}

export const defaultPreferences = (userId: string): NotificationPreferences =>
  Object.assign(new NotificationPreferences(), { userId });

export function channelEnabled(prefs: NotificationPreferences, channel: NotificationChannel): boolean {
  if (channel === NotificationChannel.EMAIL) return prefs.emailEnabled;
  if (channel === NotificationChannel.WHATSAPP) return prefs.whatsappEnabled;
  if (channel === NotificationChannel.PUSH) return prefs.pushEnabled;
  return prefs.smsEnabled;
}
