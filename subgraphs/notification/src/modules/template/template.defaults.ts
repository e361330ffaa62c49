import type { EntityManager } from '@mikro-orm/postgresql';
import { NotificationChannel, VariableType, type TemplateVariable } from './template.entity.js';

const v = (
  name: string,
  type = VariableType.STRING,
  isRequired = true,
  defaultValue: string | null = null,
): TemplateVariable => ({
  name,
  type,
  isRequired,
  defaultValue,
});

const appointmentVars = [
  v('appointmentId'),
  v('doctorName'),
  v('patientName'),
  v('workplaceName'),
  v('startsAt', VariableType.DATETIME),
  v('timeZone', VariableType.STRING, false, 'UTC'),
];

const prescriptionVars = [
  v('prescriptionId'),
  v('doctorName'),
  v('patientName'),
  v('itemCount', VariableType.NUMBER),
  v('expiresAt', VariableType.DATETIME),
];

interface DefaultTemplate {
  name: string;
  subject: string;
  /** One message line; email wraps it in a greeting. */
  line: string;
  variables: TemplateVariable[];
}

/** The catalogue every producer uses (see the common brief): name → default wording and variables. */
export const DEFAULT_TEMPLATES: DefaultTemplate[] = [
  {
    name: 'auth.otp',
    subject: 'Your verification code',
    line: 'Your code is {{code}}. It expires in {{expiresInMinutes}} minutes.',
    variables: [v('code'), v('expiresInMinutes', VariableType.NUMBER), v('purpose', VariableType.STRING, false, 'verify')],
  },
  {
    name: 'auth.password_reset',
    subject: 'Reset your password',
    line: 'Your password reset code is {{code}}. It expires in {{expiresInMinutes}} minutes. If you did not ask for it, ignore this message.',
    variables: [v('code'), v('expiresInMinutes', VariableType.NUMBER)],
  },
  {
    name: 'auth.account_exists',
    subject: 'You already have an account',
    line: 'Someone tried to register with this address, which already has an account. Sign in or reset your password instead.',
    variables: [],
  },
  {
    name: 'auth.password_changed',
    subject: 'Your password was changed',
    line: 'Your password was changed on {{changedAt}}. If this was not you, reset your password now.',
    variables: [v('changedAt', VariableType.DATETIME)],
  },
  {
    name: 'doctor.review_result',
    subject: 'Your doctor profile review',
    line: 'Your doctor profile was reviewed: {{status}}.{{#if reason}} Reason: {{reason}}{{/if}}',
    variables: [v('status'), v('reason', VariableType.STRING, false)],
  },
  {
    name: 'appointment.booked',
    subject: 'Appointment booked',
    line: 'Appointment with {{doctorName}} for {{patientName}} at {{workplaceName}} on {{startsAt}} is booked.',
    variables: appointmentVars,
  },
  {
    name: 'appointment.confirmed',
    subject: 'Appointment confirmed',
    line: 'Your appointment with {{doctorName}} at {{workplaceName}} on {{startsAt}} is confirmed.',
    variables: appointmentVars,
  },
  {
    name: 'appointment.cancelled',
    subject: 'Appointment cancelled',
    line: 'The appointment with {{doctorName}} for {{patientName}} on {{startsAt}} was cancelled.{{#if reason}} Reason: {{reason}}{{/if}}',
    variables: [...appointmentVars, v('reason', VariableType.STRING, false)],
  },
  {
    name: 'appointment.rescheduled',
    subject: 'Appointment moved',
    line: 'The appointment with {{doctorName}} for {{patientName}} at {{workplaceName}} is now on {{startsAt}}.',
    variables: appointmentVars,
  },
  {
    name: 'appointment.completed',
    subject: 'Appointment completed',
    line: 'The appointment with {{doctorName}} for {{patientName}} at {{workplaceName}} on {{startsAt}} is marked completed.',
    variables: appointmentVars,
  },
  {
    name: 'appointment.no_show',
    subject: 'Missed appointment',
    line: 'The appointment with {{doctorName}} for {{patientName}} on {{startsAt}} was marked as a no-show.',
    variables: appointmentVars,
  },
  {
    name: 'appointment.reminder',
    subject: 'Appointment reminder',
    line: 'Reminder: appointment with {{doctorName}} at {{workplaceName}} on {{startsAt}}.',
    variables: appointmentVars,
  },
  {
    name: 'waitlist.offered',
    subject: 'A slot opened for you',
    line: 'A slot with {{doctorName}} at {{workplaceName}} on {{startsAt}} is held for you until {{expiresAt}}. Accept it in the app before then.',
    variables: [
      v('entryId'),
      v('doctorName'),
      v('workplaceName'),
      v('startsAt', VariableType.DATETIME),
      v('timeZone', VariableType.STRING, false, 'UTC'),
      v('expiresAt', VariableType.DATETIME),
    ],
  },
  {
    name: 'assistant.invited',
    subject: 'You are invited as an assistant',
    line: '{{doctorName}} invited you to assist at {{workplaceName}}.{{#if message}} "{{message}}"{{/if}} The invitation expires on {{expiresAt}}.',
    variables: [
      v('doctorName'),
      v('workplaceName'),
      v('message', VariableType.STRING, false),
      v('expiresAt', VariableType.DATETIME),
    ],
  },
  {
    name: 'assistant.invite_revoked',
    subject: 'Invitation withdrawn',
    line: '{{doctorName}} withdrew the invitation to assist at {{workplaceName}}.',
    variables: [v('doctorName'), v('workplaceName')],
  },
  {
    name: 'prescription.issued',
    subject: 'New prescription',
    line: '{{doctorName}} wrote you a prescription ({{itemCount}} item(s)), valid until {{expiresAt}}. Show it at any pharmacy.',
    variables: prescriptionVars,
  },
  {
    name: 'prescription.cancelled',
    subject: 'Prescription cancelled',
    line: 'The prescription {{doctorName}} wrote you was cancelled; pharmacies will no longer dispense against it.{{#if reason}} Reason: {{reason}}{{/if}}',
    variables: [...prescriptionVars, v('reason', VariableType.STRING, false)],
  },
  {
    name: 'order.confirmed',
    subject: 'Order confirmed',
    line: 'Your order {{orderId}} at {{pharmacyName}} is confirmed. Total: {{totalAmount}}.',
    variables: [v('orderId'), v('totalAmount'), v('pharmacyName')],
  },
  {
    name: 'order.status_changed',
    subject: 'Order update',
    line: 'Your order {{orderId}} is now {{status}}.{{#if trackingNumber}} Tracking number: {{trackingNumber}}{{/if}}',
    variables: [v('orderId'), v('status'), v('trackingNumber', VariableType.STRING, false)],
  },
  {
    name: 'order.delivery_scheduled',
    subject: 'Delivery scheduled',
    line: 'Your order {{orderId}} will be delivered on {{scheduledFor}}. Tracking number: {{trackingNumber}}',
    variables: [v('orderId'), v('scheduledFor', VariableType.DATETIME), v('trackingNumber')],
  },
  {
    name: 'order.delivery_failed',
    subject: 'Delivery failed',
    line: 'The delivery of your order {{orderId}} failed: {{reason}}. The pharmacy will arrange a new attempt.',
    variables: [v('orderId'), v('reason')],
  },
  {
    name: 'pharmacy.reviewed',
    subject: 'Your pharmacy review',
    line: 'Your pharmacy {{pharmacyName}} was reviewed: {{status}}.{{#if reason}} Reason: {{reason}}{{/if}}',
    variables: [v('pharmacyName'), v('status'), v('reason', VariableType.STRING, false)],
  },
  {
    name: 'stock.low',
    subject: 'Low stock',
    line: '{{itemName}} at {{branchName}} is low: {{quantity}} left (minimum {{minStockLevel}}).',
    variables: [v('itemName'), v('branchName'), v('quantity', VariableType.NUMBER), v('minStockLevel', VariableType.NUMBER)],
  },
];

/**
 * Inserts the default template of every (name, channel) that has none. Runs at start-up; never
 * overwrites a template an admin edited.
 */
export async function seedDefaultTemplates(em: EntityManager): Promise<number> {
  let inserted = 0;
  for (const t of DEFAULT_TEMPLATES) {
    for (const channel of Object.values(NotificationChannel)) {
      const content = channel === NotificationChannel.EMAIL ? `<p>Hello {{recipientName}},</p>\n<p>${t.line}</p>` : t.line;
      const res = await em.getConnection().execute(
        `insert into notification_templates (id, name, channel, subject, content, variables, is_active)
         values (gen_random_uuid(), ?, ?, ?, ?, ?, true) on conflict (name, channel) do nothing`,
        // Email's subject is the push notification's title.
        [
          t.name,
          channel,
          channel === NotificationChannel.SMS || channel === NotificationChannel.WHATSAPP ? null : t.subject,
          content,
          JSON.stringify(t.variables),
        ],
        'run',
      );
      inserted += (res as { affectedRows?: number }).affectedRows ?? 0;
    }
  }
  return inserted;
}
