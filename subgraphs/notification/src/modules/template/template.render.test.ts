import { describe, expect, it } from '@jest/globals';
import { NotificationChannel, NotificationTemplate, VariableType } from './template.entity.js';
import { placeholdersOf, renderTemplate, TemplateError, undeclaredPlaceholders } from './template.render.js';

const template = (over: Partial<NotificationTemplate>) =>
  Object.assign(
    new NotificationTemplate(),
    { name: 't.x', channel: NotificationChannel.EMAIL, content: '', variables: [] },
    over,
  );

describe('template placeholders', () => {
  it('finds variables in mustaches, block params, hashes and subexpressions, not helper names or block-scoped paths', () => {
    const names = placeholdersOf(
      '{{a}} {{#if b}}{{c}}{{else}}{{d}}{{/if}} {{#each items}}{{this.name}} {{@index}}{{/each}} {{lookup e f}} {{#with g}}{{../h}}{{/with}}',
    );
    expect([...names].sort()).toEqual(['a', 'b', 'c', 'd', 'e', 'f', 'g', 'items']);
  });

  it('reports undeclared placeholders in subject and content; recipientName is implicit', () => {
    expect(
      undeclaredPlaceholders({
        subject: 'Hi {{recipientName}} {{x}}',
        content: '{{y}} {{declared}}',
        variables: [{ name: 'declared', type: VariableType.STRING, isRequired: true }],
      }),
    ).toEqual(['x', 'y']);
  });
});

describe('rendering', () => {
  it('escapes HTML in email content but not in the subject or plain-text channels', () => {
    const vars = [{ name: 'v', type: VariableType.STRING, isRequired: true }];
    const email = renderTemplate(
      template({ subject: 'About {{v}}', content: '<p>{{v}}</p>', variables: vars }),
      { v: '<b>&' },
      'N',
    );
    expect(email.body).toBe('<p>&lt;b&gt;&amp;</p>');
    expect(email.subject).toBe('About <b>&');
    expect(email.text).toBe('<b>&');
    const sms = renderTemplate(
      template({ channel: NotificationChannel.SMS, content: '{{v}}', variables: vars }),
      { v: '<b>&' },
      'N',
    );
    expect(sms.body).toBe('<b>&');
  });

  it('applies defaults, formats dates in the given time zone, and rejects bad values', () => {
    const t = template({
      channel: NotificationChannel.SMS,
      content: '{{n}} {{d}} {{at}} {{opt}}',
      variables: [
        { name: 'n', type: VariableType.NUMBER, isRequired: true },
        { name: 'd', type: VariableType.DATE, isRequired: true },
        { name: 'at', type: VariableType.DATETIME, isRequired: true },
        { name: 'opt', type: VariableType.STRING, isRequired: false, defaultValue: 'fallback' },
      ],
    });
    expect(renderTemplate(t, { n: 3, d: '2026-03-01', at: '2026-07-01T10:00:00Z', timeZone: 'Europe/Berlin' }, 'N').body).toBe(
      '3 1 Mar 2026 Wed 1 Jul 2026, 12:00 (Europe/Berlin) fallback',
    );
    expect(() => renderTemplate(t, { n: 'three', d: '2026-03-01', at: '2026-07-01T10:00:00Z' }, 'N')).toThrow(TemplateError);
    expect(() => renderTemplate(t, { n: 1, d: 'soon', at: '2026-07-01T10:00:00Z' }, 'N')).toThrow(
      'variable "d" must be an ISO date',
    );
    expect(() => renderTemplate(t, { n: 1, d: '2026-03-01' }, 'N')).toThrow('missing required variable "at"');
  });
});
