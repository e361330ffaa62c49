import { Field, ID, InputType } from 'type-graphql';
import { IsUUID, MaxLength } from 'class-validator';
import { JSONScalar } from '@hc/graphql';
import { NotificationChannel } from '../template/template.entity.js';

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
