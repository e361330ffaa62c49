import { Field, InputType } from 'type-graphql';

@InputType({ description: "A browser's Web Push subscription (the fields of PushSubscription.toJSON())." })
export class PushSubscriptionInput {
  @Field({ description: 'The push service URL (https).' })
  endpoint!: string;

  @Field({ description: 'keys.p256dh: the P-256 public key, base64url (65 bytes).' })
  p256dh!: string;

  @Field({ description: 'keys.auth: the authentication secret, base64url (16 bytes).' })
  auth!: string;
}
