import { Field, ID, InputType, ObjectType } from 'type-graphql';
import { IsUUID, MaxLength } from 'class-validator';
import { Connection, JSONScalar } from '@hc/graphql';
import { NotificationChannel } from '../template/template.entity.js';
import { Notification } from './notification.entity.js';

@ObjectType()
export class NotificationConnection extends Connection(Notification) {}

@InputType()
export class SendNotificationInput {
  @Field(() => ID)
  @IsUUID()
  userId!: string;

  @Field()
  @MaxLength(100)
  template!: string;

  @Field(() => NotificationChannel, { nullable: true })
  channel?: NotificationChannel | null;

  @Field(() => JSONScalar, { nullable: true, description: 'Template variables: an object of strings, numbers, booleans.' })
  variables?: unknown;
}
