import type { NotificationConfig } from '@hc/config';
import type { Logger } from '@hc/logger';
import { NotificationChannel } from '../template/template.entity.js';
import { CaptureProvider } from './capture.provider.js';
import { EmailProvider } from './email.provider.js';
import { PermanentProviderError, type Provider } from './provider.js';
import { SmsProvider } from './sms.provider.js';
import { WhatsAppProvider } from './whatsapp.provider.js';
import { resolveVapidKeys, WebPushProvider } from './webpush.provider.js';

export * from './provider.js';

class Unconfigured implements Provider {
  constructor(private readonly what: string) {}
  send(): never {
    throw new PermanentProviderError(`${this.what} is not configured`);
  }
}

/** One provider per channel from config; outside production, missing credentials mean "capture to files". */
export function createProviders(config: NotificationConfig, logger: Logger): Record<NotificationChannel, Provider> {
  const capture = config.NODE_ENV !== 'production';
  const timeoutMs = config.PROVIDER_TIMEOUT_MS;
  const whatsapp =
    config.WHATSAPP_INSTANCE_ID && config.WHATSAPP_TOKEN
      ? new WhatsAppProvider({
          apiUrl: config.WHATSAPP_API_URL,
          instanceId: config.WHATSAPP_INSTANCE_ID,
          token: config.WHATSAPP_TOKEN,
          timeoutMs,
        })
      : capture
        ? new CaptureProvider('WHATSAPP', config.MAIL_CAPTURE_DIR, logger)
        : new Unconfigured('WhatsApp (WHATSAPP_INSTANCE_ID, WHATSAPP_TOKEN)');
  const sms =
    config.TWILIO_ACCOUNT_SID && config.TWILIO_AUTH_TOKEN && config.TWILIO_FROM
      ? new SmsProvider({
          apiUrl: config.SMS_API_URL,
          accountSid: config.TWILIO_ACCOUNT_SID,
          authToken: config.TWILIO_AUTH_TOKEN,
          from: config.TWILIO_FROM,
          timeoutMs,
          statusCallbackUrl: config.TWILIO_STATUS_CALLBACK_URL,
        })
      : capture
        ? new CaptureProvider('SMS', config.MAIL_CAPTURE_DIR, logger)
        : new Unconfigured('SMS (TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN, TWILIO_FROM)');
  const vapid = resolveVapidKeys({
    publicKey: config.VAPID_PUBLIC_KEY,
    privateKey: config.VAPID_PRIVATE_KEY,
    keysDir: config.KEYS_DIR,
    production: !capture,
  });
  const push = vapid
    ? new WebPushProvider({ vapid, subject: config.VAPID_SUBJECT, timeoutMs })
    : new Unconfigured('Web Push (VAPID_PUBLIC_KEY, VAPID_PRIVATE_KEY)');
  return {
    [NotificationChannel.EMAIL]: new EmailProvider({
      smtpUrl: config.SMTP_URL,
      from: config.MAIL_FROM,
      rejectUnauthorized: config.SMTP_TLS_REJECT_UNAUTHORIZED,
      requireTls: config.SMTP_REQUIRE_TLS,
      timeoutMs,
      maxConnections: config.WORKER_CONCURRENCY,
      captureDir: capture ? config.MAIL_CAPTURE_DIR : undefined,
      logger,
    }),
    [NotificationChannel.WHATSAPP]: whatsapp,
    [NotificationChannel.SMS]: sms,
    [NotificationChannel.PUSH]: push,
  };
}
