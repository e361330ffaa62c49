import { Arg, Authorized, Ctx, Mutation, Resolver } from 'type-graphql';
import { PushSubscriptionInput } from './push.inputs.js';
import { registerPushSubscription, removePushSubscription } from './push.service.js';
import type { NotificationSubgraphContext } from '../../context.js';

@Resolver()
export class PushResolver {
  @Authorized()
  @Mutation(() => Boolean, {
    description:
      'Signed-in user: subscribes this browser to Web Push (one subscription per endpoint; subscribing again replaces it). The endpoint must be https, p256dh a P-256 public key and auth 16 bytes, both base64url.',
  })
  registerPushSubscription(
    @Arg('input', () => PushSubscriptionInput) input: PushSubscriptionInput,
    @Ctx() ctx: NotificationSubgraphContext,
  ): Promise<boolean> {
    return registerPushSubscription(ctx, input);
  }

  @Authorized()
  @Mutation(() => Boolean, {
    description: 'Signed-in user: removes one of their own browser subscriptions (false if they have none with this endpoint).',
  })
  removePushSubscription(
    @Arg('endpoint', () => String) endpoint: string,
    @Ctx() ctx: NotificationSubgraphContext,
  ): Promise<boolean> {
    return removePushSubscription(ctx, endpoint);
  }
}
