import { Field, InputType } from 'type-graphql';
import { NotificationChannel } from '../template/template.entity.js';

@InputType()
export class PreferencesInput {
  @Field(() => Boolean, { nullable: true })
  emailEnabled?: boolean | null;

  @Field(() => Boolean, { nullable: true })
  whatsappEnabled?: boolean | null;

  @Field(() => Boolean, { nullable: true })
  smsEnabled?: boolean | null;

  @Field(() => Boolean, { nullable: true })
  pushEnabled?: boolean | null;

  @Field(() => NotificationChannel, { nullable: true, description: 'Channel for messages that name none.' })
  preferredChannel?: NotificationChannel | null;
}
