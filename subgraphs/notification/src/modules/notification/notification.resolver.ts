import { randomUUID } from 'node:crypto';
import { Arg, Authorized, Ctx, FieldResolver, ID, Int, Mutation, ObjectType, Query, Resolver, Root } from 'type-graphql';
import { BadUserInputError, Connection, pageSize, requireUser, toConnection } from '@hc/graphql';
import { outbox, type NotificationRequest } from '@hc/jobs';
import { Notification } from './notification.entity.js';
import { SendNotificationInput } from './notification.inputs.js';
import { Contact } from '../contact/contact.entity.js';
import { NotificationPreferences } from '../preference/preference.entity.js';
import { NotificationChannel, NotificationTemplate } from '../template/template.entity.js';
import { maskEmail, maskPhone } from '../providers/provider.js';
import { assertSelfOrAdmin, UserRef } from '../user/user.reference.js';
import type { NotificationSubgraphContext } from '../../context.js';

@ObjectType()
export class NotificationConnection extends Connection(Notification) {}

async function history(ctx: NotificationSubgraphContext, userId: string, first?: number, after?: string | null) {
  const cursor = await ctx.em.findByCursor(Notification, {
    where: { userId },
    first: pageSize(first),
    after: after ?? undefined,
    orderBy: { createdAt: 'desc', id: 'desc' },
  });
  return toConnection(cursor) as NotificationConnection;
}

const isScalar = (v: unknown) => v === null || ['string', 'number', 'boolean'].includes(typeof v);

@Resolver(() => Notification)
export class NotificationResolver {
  @Authorized()
  @Query(() => NotificationConnection, { description: "The caller's messages, newest first; admins may name any userId." })
  notificationHistory(
    @Ctx() ctx: NotificationSubgraphContext,
    @Arg('userId', () => ID, { nullable: true }) userId?: string,
    @Arg('first', () => Int, { nullable: true, defaultValue: 20 }) first?: number,
    @Arg('after', () => String, { nullable: true }) after?: string,
  ): Promise<NotificationConnection> {
    const user = requireUser(ctx.auth);
    const target = userId ?? user.id;
    assertSelfOrAdmin(user, target, 'not-found');
    return history(ctx, target, first, after);
  }

  @Authorized('ADMIN')
  @Mutation(() => Notification, { description: 'Admin: queues a message to a user (same pipeline as every producer).' })
  async sendNotification(
    @Arg('input', () => SendNotificationInput) input: SendNotificationInput,
    @Ctx() ctx: NotificationSubgraphContext,
  ): Promise<Notification> {
    const variables = (input.variables ?? {}) as Record<string, unknown>;
    if (typeof variables !== 'object' || Array.isArray(variables) || !Object.values(variables).every(isScalar))
      throw BadUserInputError.field('variables', 'variables must be an object of strings, numbers or booleans');
    const exists = await ctx.em.count(NotificationTemplate, {
      name: input.template,
      ...(input.channel ? { channel: input.channel } : {}),
      isActive: true,
    });
    if (exists === 0) throw BadUserInputError.field('template', `no active template "${input.template}"`);
    const [contact, prefs] = await Promise.all([
      ctx.em.findOne(Contact, { userId: input.userId }),
      ctx.em.findOne(NotificationPreferences, { userId: input.userId }),
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
    record.outboxId = outbox.notify(ctx.em, request).id;
    ctx.em.persist(record);
    await ctx.em.flush();
    return record;
  }
}

@Resolver(() => UserRef)
export class UserNotificationResolver {
  @FieldResolver(() => NotificationConnection, { description: 'The user themself and admins only; newest first.' })
  notifications(
    @Root() user: UserRef,
    @Ctx() ctx: NotificationSubgraphContext,
    @Arg('first', () => Int, { nullable: true, defaultValue: 20 }) first?: number,
    @Arg('after', () => String, { nullable: true }) after?: string,
  ): Promise<NotificationConnection> {
    assertSelfOrAdmin(ctx.auth.user, user.id);
    return history(ctx, user.id, first, after);
  }
}
