import { Arg, Authorized, Ctx, Mutation, Query, Resolver } from 'type-graphql';
import { BadUserInputError } from '@hc/graphql';
import { NotificationTemplate, type TemplateVariable } from './template.entity.js';
import { TemplateInput } from './template.inputs.js';
import { IMPLICIT_VARIABLES, undeclaredPlaceholders } from './template.render.js';
import type { NotificationSubgraphContext } from '../../context.js';

@Resolver(() => NotificationTemplate)
export class TemplateResolver {
  @Authorized('ADMIN')
  @Query(() => [NotificationTemplate], { description: 'Admin: every message template.' })
  notificationTemplates(@Ctx() ctx: NotificationSubgraphContext): Promise<NotificationTemplate[]> {
    return ctx.em.find(NotificationTemplate, {}, { orderBy: { name: 'asc', channel: 'asc' } });
  }

  @Authorized('ADMIN')
  @Mutation(() => NotificationTemplate, {
    description: 'Admin: creates or replaces the template of (name, channel). Every placeholder must be a declared variable.',
  })
  async upsertNotificationTemplate(
    @Arg('input', () => TemplateInput) input: TemplateInput,
    @Ctx() ctx: NotificationSubgraphContext,
  ): Promise<NotificationTemplate> {
    const existing = await ctx.em.findOne(NotificationTemplate, { name: input.name, channel: input.channel });
    const variables: TemplateVariable[] = input.variables
      ? input.variables.map((v) => ({
          name: v.name,
          type: v.type,
          defaultValue: v.defaultValue ?? null,
          isRequired: v.isRequired ?? true,
        }))
      : (existing?.variables ?? []);
    const names = variables.map((v) => v.name);
    const duplicate = names.find((n, i) => names.indexOf(n) !== i);
    if (duplicate) throw BadUserInputError.field('variables', `variable "${duplicate}" is declared twice`);
    const implicit = names.find((n) => (IMPLICIT_VARIABLES as readonly string[]).includes(n));
    if (implicit) throw BadUserInputError.field('variables', `"${implicit}" is provided by the service; do not declare it`);

    const draft = { subject: input.subject ?? null, content: input.content, variables };
    let undeclared: string[];
    try {
      undeclared = undeclaredPlaceholders(draft);
    } catch (error) {
      throw BadUserInputError.field('content', `template does not parse: ${(error as Error).message.split('\n')[0]}`);
    }
    if (undeclared.length > 0) {
      throw BadUserInputError.field('content', `undeclared placeholders: ${undeclared.join(', ')} (declare them in variables)`);
    }

    const template = existing ?? Object.assign(new NotificationTemplate(), { name: input.name, channel: input.channel });
    if (!existing) ctx.em.persist(template);
    template.subject = draft.subject;
    template.content = draft.content;
    template.variables = variables;
    if (input.isActive !== undefined && input.isActive !== null) template.isActive = input.isActive;
    await ctx.em.flush();
    return template;
  }
}
