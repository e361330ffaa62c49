import { randomUUID } from 'node:crypto';
import { existsSync, linkSync, mkdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import type { Agent } from 'node:https';
import { join } from 'node:path';
import webpush from 'web-push';
import {
  PermanentProviderError,
  TransientProviderError,
  type OutgoingMessage,
  type Provider,
  type ProviderResult,
} from './provider.js';

export interface VapidKeys {
  publicKey: string;
  privateKey: string;
}

/**
 * VAPID keys from config; outside production, when neither is set, a pair generated once into
 * `keysDir/vapid.json` (like auth's development signing keys). Null in production without keys.
 */
export function resolveVapidKeys(opts: {
  publicKey?: string;
  privateKey?: string;
  keysDir: string;
  production: boolean;
}): VapidKeys | null {
  if (opts.publicKey || opts.privateKey) {
    if (!opts.publicKey || !opts.privateKey) throw new Error('VAPID_PUBLIC_KEY and VAPID_PRIVATE_KEY must be set together');
    return { publicKey: opts.publicKey, privateKey: opts.privateKey };
  }
  if (opts.production) return null;
  const file = join(opts.keysDir, 'vapid.json');
  if (existsSync(file)) return JSON.parse(readFileSync(file, 'utf8')) as VapidKeys;
  const keys = webpush.generateVAPIDKeys();
  mkdirSync(opts.keysDir, { recursive: true });
  // Written aside, then linked into place: of processes starting together exactly one pair wins.
  const draft = `${file}.${process.pid}.${randomUUID()}`;
  writeFileSync(draft, JSON.stringify(keys), { mode: 0o600 });
  try {
    linkSync(draft, file);
    return keys;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    return JSON.parse(readFileSync(file, 'utf8')) as VapidKeys;
  } finally {
    unlinkSync(draft);
  }
}

export interface WebPushOptions {
  vapid: VapidKeys;
  subject: string;
  timeoutMs: number;
  /** Seconds a push service keeps an undelivered message. */
  ttlSeconds?: number;
  /** TLS agent for the push services (tests trust their local server's certificate through it). */
  agent?: Agent;
}

/**
 * Web Push (RFC 8030) with VAPID (RFC 8292) and aes128gcm payload encryption (RFC 8291), through
 * the `web-push` library. One call sends to one browser: `to` is the subscription's endpoint and
 * `push` its keys. A 404/410 answer means the subscription is gone (`gone: true`, not an error):
 * the worker deletes it.
 */
export class WebPushProvider implements Provider {
  constructor(private readonly options: WebPushOptions) {
    // Fails at start-up on malformed keys or subject, not on the first message.
    webpush.getVapidHeaders(
      'https://push.invalid',
      options.subject,
      options.vapid.publicKey,
      options.vapid.privateKey,
      'aes128gcm',
    );
  }

  async send(message: OutgoingMessage): Promise<ProviderResult> {
    if (!message.push) throw new PermanentProviderError('push message without subscription keys');
    const payload = JSON.stringify({ title: message.subject ?? '', body: message.text });
    try {
      const res = await webpush.sendNotification({ endpoint: message.to, keys: message.push }, payload, {
        vapidDetails: {
          subject: this.options.subject,
          publicKey: this.options.vapid.publicKey,
          privateKey: this.options.vapid.privateKey,
        },
        TTL: this.options.ttlSeconds ?? 24 * 3600,
        contentEncoding: 'aes128gcm',
        timeout: this.options.timeoutMs,
        ...(this.options.agent ? { agent: this.options.agent } : {}),
      });
      return { providerMessageId: (res.headers?.location as string | undefined) ?? null };
    } catch (error) {
      const status = (error as { statusCode?: number }).statusCode;
      if (status === 404 || status === 410) return { gone: true };
      if (status === undefined) throw new TransientProviderError(`push service unreachable: ${(error as Error).message}`);
      const message = `push service answered ${status}`;
      throw status === 408 || status === 429 || status >= 500
        ? new TransientProviderError(message)
        : new PermanentProviderError(message);
    }
  }
}
