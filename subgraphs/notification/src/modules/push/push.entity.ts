import { randomUUID } from 'node:crypto';
import { Entity, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';

/**
 * A browser's Web Push subscription (PushSubscription.toJSON() in the browser). One row per
 * endpoint: a browser that subscribes again, or for another signed-in user, replaces its row.
 * Not exposed through GraphQL: the endpoint is a capability URL.
 */
@Entity({ tableName: 'push_subscriptions' })
export class PushSubscription {
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @Property({ type: 'uuid', index: 'push_subscriptions_user_idx' })
  userId!: string;

  @Property({ type: 'string', length: 2048, unique: 'push_subscriptions_endpoint_unique' })
  endpoint!: string;

  /** The browser's P-256 public key, base64url (65 bytes uncompressed). */
  @Property({ type: 'string', length: 100 })
  p256dh!: string;

  /** The 16-byte authentication secret, base64url. */
  @Property({ type: 'string', length: 40 })
  auth!: string;

  @Property({ type: 'timestamptz' })
  createdAt: Date = new Date();

  @Property({ type: 'timestamptz' })
  updatedAt: Date = new Date();
}
