import Handlebars from 'handlebars';
import { DateTime } from 'luxon';
import { NotificationChannel, VariableType, type NotificationTemplate, type TemplateVariable } from './template.entity.js';

/** Filled in by the notification service from its contact copy; templates may always use it. */
export const IMPLICIT_VARIABLES = ['recipientName'] as const;

/** A template that cannot produce a message (missing variable, bad value): retrying will not help. */
export class TemplateError extends Error {
  override name = 'TemplateError';
}

/** Every top-level variable a Handlebars source refers to (helper names excluded). */
export function placeholdersOf(source: string): Set<string> {
  const names = new Set<string>();
  const ast = Handlebars.parse(source);
  class Collector extends Handlebars.Visitor {
    private path(p: hbs.AST.Expression) {
      if (p.type !== 'PathExpression') return this.accept(p as never);
      const path = p as hbs.AST.PathExpression;
      // @index, this.x and ../x are scoped inside blocks, not message variables.
      if (path.data || path.depth > 0 || path.parts.length === 0 || /^this\b/.test(path.original)) return;
      names.add(path.parts[0]!);
    }
    private call(node: hbs.AST.MustacheStatement | hbs.AST.BlockStatement | hbs.AST.SubExpression) {
      const isHelper = node.params.length > 0 || (node.hash?.pairs.length ?? 0) > 0;
      if (!isHelper) this.path(node.path);
      for (const p of node.params) this.path(p);
      for (const pair of node.hash?.pairs ?? []) this.path(pair.value);
      if ('program' in node && node.program) this.acceptKey(node, 'program');
      if ('inverse' in node && node.inverse) this.acceptKey(node, 'inverse');
    }
    override MustacheStatement(node: hbs.AST.MustacheStatement) {
      this.call(node);
    }
    override BlockStatement(node: hbs.AST.BlockStatement) {
      this.call(node);
    }
    override SubExpression(node: hbs.AST.SubExpression) {
      this.call(node);
    }
    override PathExpression(node: hbs.AST.PathExpression) {
      this.path(node);
    }
  }
  new Collector().accept(ast);
  return names;
}

/** Placeholders of subject and content that are neither declared nor implicit. */
export function undeclaredPlaceholders(template: Pick<NotificationTemplate, 'subject' | 'content' | 'variables'>): string[] {
  const declared = new Set<string>([...IMPLICIT_VARIABLES, ...template.variables.map((v) => v.name)]);
  const used = new Set([...placeholdersOf(template.content), ...placeholdersOf(template.subject ?? '')]);
  return [...used].filter((n) => !declared.has(n)).sort();
}

export interface RenderedMessage {
  subject?: string;
  /** HTML for email (variables escaped), plain text otherwise. */
  body: string;
  /** Plain-text alternative for email. */
  text: string;
}

type Value = string | number | boolean | null | undefined;

function formatValue(template: NotificationTemplate, v: TemplateVariable, raw: Value, timeZone: string): string {
  const where = `template ${template.name} (${template.channel}): variable "${v.name}"`;
  const s = String(raw);
  switch (v.type) {
    case VariableType.NUMBER:
      if (typeof raw === 'boolean' || !Number.isFinite(Number(raw))) throw new TemplateError(`${where} must be a number`);
      return s;
    case VariableType.DATE: {
      const d = DateTime.fromISO(s, { zone: 'UTC' });
      if (!d.isValid) throw new TemplateError(`${where} must be an ISO date`);
      return d.toFormat('d LLL yyyy');
    }
    case VariableType.DATETIME: {
      const d = DateTime.fromISO(s, { setZone: true });
      if (!d.isValid) throw new TemplateError(`${where} must be an ISO date-time`);
      const local = d.setZone(timeZone);
      return (local.isValid ? local : d.toUTC()).toFormat("ccc d LLL yyyy, HH:mm '('z')'");
    }
    default:
      return s;
  }
}

/** Builds the render context: declared variables with defaults, typed formatting, required check. */
export function templateContext(
  template: NotificationTemplate,
  variables: Record<string, Value>,
  recipientName: string,
): Record<string, string> {
  const timeZone = typeof variables.timeZone === 'string' ? variables.timeZone : 'UTC';
  const context: Record<string, string> = { recipientName };
  for (const v of template.variables) {
    const given = variables[v.name];
    const raw = given === undefined || given === null || given === '' ? v.defaultValue : given;
    if (raw === undefined || raw === null || raw === '') {
      if (v.isRequired)
        throw new TemplateError(`template ${template.name} (${template.channel}) is missing required variable "${v.name}"`);
      context[v.name] = '';
      continue;
    }
    context[v.name] = formatValue(template, v, raw, timeZone);
  }
  return context;
}

const compiled = new Map<string, Handlebars.TemplateDelegate>();
function compile(source: string, escape: boolean): Handlebars.TemplateDelegate {
  const key = `${escape ? 'h' : 't'}:${source}`;
  let fn = compiled.get(key);
  if (!fn) {
    fn = Handlebars.compile(source, { noEscape: !escape });
    if (compiled.size > 500) compiled.clear();
    compiled.set(key, fn);
  }
  return fn;
}

const ENTITIES: Record<string, string> = {
  '&lt;': '<',
  '&gt;': '>',
  '&quot;': '"',
  '&#x27;': "'",
  '&#x60;': '`',
  '&#x3D;': '=',
  '&amp;': '&',
};

/** Plain text from the escaped HTML: the template's tags go, escaped values come back as typed. */
const toText = (html: string) =>
  html
    .replace(/<br\s*\/?>/gi, '\n')
    .replace(/<\/p>/gi, '\n\n')
    .replace(/<[^>]+>/g, '')
    .replace(/&(lt|gt|quot|#x27|#x60|#x3D|amp);/g, (e) => ENTITIES[e] ?? e)
    .replace(/\n{3,}/g, '\n\n')
    .trim();

/**
 * Renders a template. Email content is HTML: Handlebars escapes every {{value}} so a name like
 * `<script>` arrives as text. WhatsApp/SMS are plain text and are not escaped.
 */
export function renderTemplate(
  template: NotificationTemplate,
  variables: Record<string, Value>,
  recipientName: string,
): RenderedMessage {
  const context = templateContext(template, variables, recipientName);
  const subject = template.subject ? compile(template.subject, false)(context).trim() : undefined;
  if (template.channel === NotificationChannel.EMAIL) {
    const body = compile(template.content, true)(context);
    return { subject, body, text: toText(body) };
  }
  const text = compile(template.content, false)(context).trim();
  return { subject, body: text, text };
}
