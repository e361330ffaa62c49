import { httpError, PermanentProviderError, postForm, type OutgoingMessage, type Provider } from './provider.js';

export interface WhatsAppOptions {
  apiUrl: string;
  instanceId: string;
  token: string;
  timeoutMs: number;
}

/** WhatsApp through UltraMsg: POST {apiUrl}/{instanceId}/messages/chat with token, to, body. */
export class WhatsAppProvider implements Provider {
  constructor(private readonly options: WhatsAppOptions) {}

  async send(message: OutgoingMessage) {
    const url = `${this.options.apiUrl.replace(/\/$/, '')}/${encodeURIComponent(this.options.instanceId)}/messages/chat`;
    const { status, body } = await postForm(
      'UltraMsg',
      url,
      { token: this.options.token, to: message.to, body: message.text },
      this.options.timeoutMs,
    );
    if (status >= 300) throw httpError('UltraMsg', status, String(body.error ?? body.message ?? ''));
    // UltraMsg reports refusals (bad number, bad token) as 200 with an error field.
    if (body.error) throw new PermanentProviderError(`UltraMsg refused: ${JSON.stringify(body.error).slice(0, 200)}`);
    return { providerMessageId: body.id !== undefined ? String(body.id) : null };
  }
}
