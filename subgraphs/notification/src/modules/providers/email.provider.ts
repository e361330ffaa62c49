import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import nodemailer, { type Transporter } from 'nodemailer';
import type { Logger } from '@hc/logger';
import { PermanentProviderError, TransientProviderError, type OutgoingMessage, type Provider } from './provider.js';

export interface EmailOptions {
  smtpUrl?: string;
  from: string;
  rejectUnauthorized: boolean;
  requireTls: boolean;
  timeoutMs: number;
  /** Pooled SMTP connections (one per concurrent job is enough): no handshake per message. */
  maxConnections: number;
  /** Without smtpUrl: write .eml files here (development), or refuse (production). */
  captureDir?: string;
  logger: Logger;
}

interface SmtpError extends Error {
  responseCode?: number;
  code?: string;
}

/** Email over SMTP (nodemailer). SMTP 5xx replies are permanent; 4xx and connection trouble retry. */
export class EmailProvider implements Provider {
  private readonly transport: Transporter;
  constructor(private readonly options: EmailOptions) {
    this.transport = options.smtpUrl
      ? nodemailer.createTransport(options.smtpUrl, {
          pool: true,
          maxConnections: options.maxConnections,
          tls: { rejectUnauthorized: options.rejectUnauthorized },
          requireTLS: options.requireTls,
          connectionTimeout: options.timeoutMs,
          greetingTimeout: options.timeoutMs,
          socketTimeout: options.timeoutMs,
        } as never)
      : nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'unix' });
  }

  async send(message: OutgoingMessage) {
    const mail = {
      from: this.options.from,
      to: message.to,
      subject: message.subject ?? '',
      html: message.html,
      text: message.text,
    };
    if (!this.options.smtpUrl) {
      if (!this.options.captureDir) throw new PermanentProviderError('email is not configured (SMTP_URL)');
      const info = (await this.transport.sendMail(mail)) as unknown as { message: Buffer; messageId: string };
      await mkdir(this.options.captureDir, { recursive: true });
      const file = join(this.options.captureDir, `${Date.now()}-${message.reference}.eml`);
      await writeFile(file, info.message);
      // The path only: the content may hold a one-time code.
      this.options.logger.info({ file }, 'email captured (no SMTP_URL): open the .eml file to read it');
      return { providerMessageId: info.messageId };
    }
    try {
      const info = await this.transport.sendMail(mail);
      return { providerMessageId: info.messageId as string };
    } catch (error) {
      const e = error as SmtpError;
      const reason = `SMTP ${e.responseCode ?? e.code ?? 'error'}: ${e.message.split('\n')[0]}`;
      if (e.responseCode && e.responseCode >= 500) throw new PermanentProviderError(reason);
      if (e.code === 'EENVELOPE' && !e.responseCode) throw new PermanentProviderError(reason);
      throw new TransientProviderError(reason);
    }
  }

  close() {
    this.transport.close();
  }
}
