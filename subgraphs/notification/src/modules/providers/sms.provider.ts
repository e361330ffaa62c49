import { httpError, postForm, type OutgoingMessage, type Provider } from './provider.js';

export interface SmsOptions {
  apiUrl: string;
  accountSid: string;
  authToken: string;
  from: string;
  timeoutMs: number;
  /** Twilio posts delivery receipts here (see receipts/twilio.webhook.ts). */
  statusCallbackUrl?: string;
}

/** SMS through the Twilio Messages API (form-encoded, basic auth). */
export class SmsProvider implements Provider {
  constructor(private readonly options: SmsOptions) {}

  async send(message: OutgoingMessage) {
    const { apiUrl, accountSid, authToken, from, timeoutMs } = this.options;
    const url = `${apiUrl.replace(/\/$/, '')}/2010-04-01/Accounts/${encodeURIComponent(accountSid)}/Messages.json`;
    const auth = Buffer.from(`${accountSid}:${authToken}`).toString('base64');
    const form: Record<string, string> = { To: message.to, From: from, Body: message.text };
    if (this.options.statusCallbackUrl) form.StatusCallback = this.options.statusCallbackUrl;
    const { status, body } = await postForm('Twilio', url, form, timeoutMs, {
      authorization: `Basic ${auth}`,
    });
    if (status >= 300) throw httpError('Twilio', status, [body.code, body.message].filter(Boolean).join(' '));
    return { providerMessageId: typeof body.sid === 'string' ? body.sid : null };
  }
}
