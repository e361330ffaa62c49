import type { EntityManager } from '@mikro-orm/postgresql';
import { BadUserInputError } from '@hc/graphql';
import { NotificationTemplate, type TemplateVariable } from './template.entity.js';
import type { TemplateInput } from './template.inputs.js';
import { IMPLICIT_VARIABLES, undeclaredPlaceholders } from './template.render.js';

/** Every template, by name then channel. */
export function listTemplates(em: EntityManager): Promise<NotificationTemplate[]> {
  return em.find(NotificationTemplate, {}, { orderBy: { name: 'asc', channel: 'asc' } });
}

/**
 * Creates or replaces the template of (name, channel). Variables are kept when not given; every
 * placeholder must be a declared variable, none declared twice, none the service provides.
 */
export async function upsertTemplate(em: EntityManager, input: TemplateInput): Promise<NotificationTemplate> {
  const existing = await em.findOne(NotificationTemplate, { name: input.name, channel: input.channel });
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
  if (!existing) em.persist(template);
  template.subject = draft.subject;
  template.content = draft.content;
  template.variables = variables;
  if (input.isActive !== undefined && input.isActive !== null) template.isActive = input.isActive;
  await em.flush();
  return template;
}
