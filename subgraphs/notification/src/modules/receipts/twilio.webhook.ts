import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Express, Request } from 'express';
import type { MikroORM } from '@mikro-orm/postgresql';
import type { Logger } from '@hc/logger';

/** Twilio's request signature: HMAC-SHA1 over the URL plus every form field sorted by name. */
export function twilioSignature(authToken: string, url: string, params: Record<string, string>): string {
  const data = Object.keys(params)
    .sort()
    .reduce((acc, key) => acc + key + params[key], url);
  return createHmac('sha1', authToken).update(data, 'utf8').digest('base64');
}

const readForm = (req: Request) =>
  new Promise<Record<string, string>>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > 64 * 1024) reject(new Error('body too large'));
      else chunks.push(c);
    });
    req.on('end', () => resolve(Object.fromEntries(new URLSearchParams(Buffer.concat(chunks).toString()))));
    req.on('error', reject);
  });

/**
 * POST /webhooks/twilio/status: Twilio's delivery receipts. `delivered` turns SENT into
 * DELIVERED; `undelivered`/`failed` into FAILED with Twilio's error code. Requests without a
 * valid signature are refused, so nobody else can rewrite a user's history.
 */
export function twilioStatusRoute(options: { orm: MikroORM; authToken: string; callbackUrl: string; logger: Logger }) {
  return (app: Express) => {
    app.post('/webhooks/twilio/status', (req, res) => {
      void (async () => {
        const form = await readForm(req);
        const given = String(req.headers['x-twilio-signature'] ?? '');
        const expected = twilioSignature(options.authToken, options.callbackUrl, form);
        const ok = given.length === expected.length && timingSafeEqual(Buffer.from(given), Buffer.from(expected));
        if (!ok) return res.status(403).end();
        const sid = form.MessageSid;
        const status = form.MessageStatus;
        if (sid && status === 'delivered') {
          await options.orm.em
            .fork()
            .getConnection()
            .execute(
              `update notifications set status = 'DELIVERED', delivered_at = now(), updated_at = now()
               where provider_message_id = ? and status = 'SENT'`,
              [sid],
              'run',
            );
        } else if (sid && (status === 'undelivered' || status === 'failed')) {
          await options.orm.em
            .fork()
            .getConnection()
            .execute(
              `update notifications set status = 'FAILED', error_message = ?, updated_at = now()
               where provider_message_id = ? and status = 'SENT'`,
              [`Twilio: ${status}${form.ErrorCode ? ` (${form.ErrorCode})` : ''}`, sid],
              'run',
            );
        }
        res.status(204).end();
      })().catch((error: Error) => {
        options.logger.warn({ err: error.message }, 'twilio status callback failed');
        if (!res.headersSent) res.status(500).end();
      });
    });
  };
}
