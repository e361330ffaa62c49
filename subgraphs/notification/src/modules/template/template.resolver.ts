import { Authorized, Ctx, Query, Resolver } from 'type-graphql';
import { NotificationTemplate } from './template.entity.js';
import type { NotificationSubgraphContext } from '../../context.js';

@Resolver(() => NotificationTemplate)
export class TemplateResolver {
  @Authorized('ADMIN')
  @Query(() => [NotificationTemplate], { description: 'Admin: every message template.' })
  notificationTemplates(@Ctx() ctx: NotificationSubgraphContext): Promise<NotificationTemplate[]> {
    return ctx.em.find(NotificationTemplate, {}, { orderBy: { name: 'asc', channel: 'asc' } });
  }
}
