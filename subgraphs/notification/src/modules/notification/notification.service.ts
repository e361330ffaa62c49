import { randomUUID } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { AuthUser } from '@hc/auth';
import { BadUserInputError, pageSize, toConnection } from '@hc/graphql';
import { outbox, type NotificationRequest } from '@hc/jobs';
import { Notification } from './notification.entity.js';
import type { NotificationConnection, SendNotificationInput } from './notification.inputs.js';
import { Contact } from '../contact/contact.entity.js';
import { NotificationPreferences } from '../preference/preference.entity.js';
import { NotificationChannel, NotificationTemplate } from '../template/template.entity.js';
import { maskEmail, maskPhone } from '../providers/provider.js';
import { assertSelfOrAdmin } from '../user/user.reference.js';

const isScalar = (v: unknown) => v === null || ['string', 'number', 'boolean'].includes(typeof v);

/**
 * One page of a user's messages, newest first, for the user themself or an admin. `denyAs`
 * picks the answer to anyone else: NOT_FOUND where the user id was asked for by argument.
 */
export async function history(
  em: EntityManager,
  viewer: AuthUser | null,
  userId: string,
  first: number | null | undefined,
  after: string | null | undefined,
  denyAs: 'forbidden' | 'not-found' = 'forbidden',
): Promise<NotificationConnection> {
  assertSelfOrAdmin(viewer, userId, denyAs);
  const cursor = await em.findByCursor(Notification, {
    where: { userId },
    first: pageSize(first),
    after: after ?? undefined,
    orderBy: { createdAt: 'desc', id: 'desc' },
  });
  return toConnection(cursor) as NotificationConnection;
}

/**
 * Admin: queues a message through the same outbox as every producer, after checking that an
 * active template and the user's contact exist. The delivery record is written now (QUEUED,
 * masked destination) so the admin gets it back at once.
 */
export async function sendNotification(em: EntityManager, input: SendNotificationInput): Promise<Notification> {
  const variables = (input.variables ?? {}) as Record<string, unknown>;
  if (typeof variables !== 'object' || Array.isArray(variables) || !Object.values(variables).every(isScalar))
    throw BadUserInputError.field('variables', 'variables must be an object of strings, numbers or booleans');
  const exists = await em.count(NotificationTemplate, {
    name: input.template,
    ...(input.channel ? { channel: input.channel } : {}),
    isActive: true,
  });
  if (exists === 0) throw BadUserInputError.field('template', `no active template "${input.template}"`);
  const [contact, prefs] = await Promise.all([
    em.findOne(Contact, { userId: input.userId }),
    em.findOne(NotificationPreferences, { userId: input.userId }),
  ]);
  if (!contact) throw BadUserInputError.field('userId', 'no contact details known for this user');
  const channel = input.channel ?? prefs?.preferredChannel ?? NotificationChannel.EMAIL;
  const address = channel === NotificationChannel.EMAIL ? contact.email : contact.phone;

  const id = randomUUID();
  const request: NotificationRequest = {
    idempotencyKey: `admin:${id}`,
    userId: input.userId,
    template: input.template,
    ...(input.channel ? { channel: input.channel } : {}),
    variables: variables as NotificationRequest['variables'],
  };
  const record = Object.assign(new Notification(), {
    id,
    idempotencyKey: request.idempotencyKey,
    userId: input.userId,
    template: input.template,
    channel,
    destination: address ? (channel === NotificationChannel.EMAIL ? maskEmail(address) : maskPhone(address)) : '',
  });
  record.outboxId = outbox.notify(em, request).id;
  em.persist(record);
  await em.flush();
  return record;
}
