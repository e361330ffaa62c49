import { Entity, Enum, Property, Unique } from '@mikro-orm/decorators/legacy';
import { TimestampedEntity } from '@hc/db';
import { Field, ID, ObjectType, registerEnumType } from 'type-graphql';

export enum NotificationChannel {
  EMAIL = 'EMAIL',
  WHATSAPP = 'WHATSAPP',
  SMS = 'SMS',
  /** Web Push to the user's subscribed browsers (title + body). */
  PUSH = 'PUSH',
}
registerEnumType(NotificationChannel, { name: 'NotificationChannel' });

export enum VariableType {
  STRING = 'STRING',
  NUMBER = 'NUMBER',
  DATE = 'DATE',
  DATETIME = 'DATETIME',
}
registerEnumType(VariableType, { name: 'VariableType' });

@ObjectType({ description: 'A placeholder a template may use: {{name}}.' })
export class TemplateVariable {
  @Field()
  name!: string;

  @Field(() => VariableType)
  type!: VariableType;

  @Field(() => String, { nullable: true })
  defaultValue?: string | null;

  @Field()
  isRequired!: boolean;
}

/** A message template per (name, channel), e.g. ("auth.otp", EMAIL). */
@Entity({ tableName: 'notification_templates' })
@Unique({ properties: ['name', 'channel'] })
@ObjectType()
export class NotificationTemplate extends TimestampedEntity {
  @Field(() => ID)
  override id!: string;

  @Property({ type: 'string', length: 100 })
  @Field()
  name!: string;

  @Enum({ items: () => NotificationChannel, nativeEnumName: 'notification_channel' })
  @Field(() => NotificationChannel)
  channel!: NotificationChannel;

  @Property({ type: 'string', length: 200, nullable: true })
  @Field(() => String, { nullable: true })
  subject?: string | null;

  @Property({ type: 'text' })
  @Field()
  content!: string;

  @Property({ type: 'jsonb' })
  @Field(() => [TemplateVariable])
  variables: TemplateVariable[] = [];

  @Property({ type: 'boolean', default: true })
  @Field()
  isActive: boolean = true;
}
