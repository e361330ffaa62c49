import { Arg, Authorized, Ctx, Mutation, Query, Resolver } from 'type-graphql';
import { NotificationTemplate } from './template.entity.js';
import { TemplateInput } from './template.inputs.js';
import { listTemplates, upsertTemplate } from './template.service.js';
import type { NotificationSubgraphContext } from '../../context.js';

@Resolver(() => NotificationTemplate)
export class TemplateResolver {
  @Authorized('ADMIN')
  @Query(() => [NotificationTemplate], { description: 'Admin: every message template.' })
  notificationTemplates(@Ctx() ctx: NotificationSubgraphContext): Promise<NotificationTemplate[]> {
    return listTemplates(ctx.em);
  }

  @Authorized('ADMIN')
  @Mutation(() => NotificationTemplate, {
    description: 'Admin: creates or replaces the template of (name, channel). Every placeholder must be a declared variable.',
  })
  upsertNotificationTemplate(
    @Arg('input', () => TemplateInput) input: TemplateInput,
    @Ctx() ctx: NotificationSubgraphContext,
  ): Promise<NotificationTemplate> {
    return upsertTemplate(ctx.em, input);
  }
}
