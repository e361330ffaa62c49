import { execFileSync } from 'node:child_process';
import { createDecipheriv, createECDH, createPublicKey, hkdfSync, randomBytes, verify } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, Agent, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A browser's side of a subscription: its P-256 key pair and auth secret (what PushManager.subscribe makes). */
export function browserSubscription(endpoint: string) {
  const ecdh = createECDH('prime256v1');
  ecdh.generateKeys();
  const auth = randomBytes(16);
  return {
    endpoint,
    p256dh: ecdh.getPublicKey().toString('base64url'),
    auth: auth.toString('base64url'),
    /** RFC 8291 + RFC 8188: the plaintext of an aes128gcm body sent to this subscription. */
    decrypt: (body: Buffer) => decryptAes128gcm(body, ecdh, auth),
  };
}
export type BrowserSubscription = ReturnType<typeof browserSubscription>;

function decryptAes128gcm(body: Buffer, ua: ReturnType<typeof createECDH>, authSecret: Buffer): string {
  // RFC 8188 header: salt (16) | record size (4) | key id length (1) | key id (the sender's public key).
  const salt = body.subarray(0, 16);
  const rs = body.readUInt32BE(16);
  const idLen = body[20]!;
  const asPublic = body.subarray(21, 21 + idLen);
  const records = body.subarray(21 + idLen);
  if (records.length > rs) throw new Error('expected a single record');
  // RFC 8291 §3.4: IKM from the ECDH secret, keyed by the auth secret and both public keys.
  const ecdhSecret = ua.computeSecret(asPublic);
  const keyInfo = Buffer.concat([Buffer.from('WebPush: info\0'), ua.getPublicKey(), asPublic]);
  const ikm = Buffer.from(hkdfSync('sha256', ecdhSecret, authSecret, keyInfo, 32));
  const cek = Buffer.from(hkdfSync('sha256', ikm, salt, Buffer.from('Content-Encoding: aes128gcm\0'), 16));
  const nonce = Buffer.from(hkdfSync('sha256', ikm, salt, Buffer.from('Content-Encoding: nonce\0'), 12));
  const decipher = createDecipheriv('aes-128-gcm', cek, nonce);
  decipher.setAuthTag(records.subarray(records.length - 16));
  const padded = Buffer.concat([decipher.update(records.subarray(0, records.length - 16)), decipher.final()]);
  // The last record ends with the delimiter 0x02 followed by zero padding.
  let end = padded.length - 1;
  while (end >= 0 && padded[end] === 0) end--;
  if (padded[end] !== 2) throw new Error('missing last-record delimiter');
  return padded.subarray(0, end).toString('utf8');
}

/** Checks `Authorization: vapid t=<JWT>, k=<public key>` (RFC 8292): ES256 signature, aud, exp, sub. */
function checkVapid(header: string | undefined, audience: string, expectedKey: string): string | null {
  const m = /^vapid t=([^,\s]+),\s*k=([A-Za-z0-9_-]+)$/.exec(header ?? '');
  if (!m) return 'no vapid authorization';
  const [, jwt, k] = m as unknown as [string, string, string];
  if (k !== expectedKey) return 'unexpected application server key';
  const raw = Buffer.from(k, 'base64url');
  if (raw.length !== 65 || raw[0] !== 4) return 'k is not an uncompressed P-256 key';
  const key = createPublicKey({
    key: { kty: 'EC', crv: 'P-256', x: raw.subarray(1, 33).toString('base64url'), y: raw.subarray(33).toString('base64url') },
    format: 'jwk',
  });
  const [h, p, s] = jwt.split('.');
  if (!h || !p || !s) return 'malformed JWT';
  const head = JSON.parse(Buffer.from(h, 'base64url').toString()) as { alg?: string };
  if (head.alg !== 'ES256') return 'alg is not ES256';
  const ok = verify('sha256', Buffer.from(`${h}.${p}`), { key, dsaEncoding: 'ieee-p1363' }, Buffer.from(s, 'base64url'));
  if (!ok) return 'bad signature';
  const claims = JSON.parse(Buffer.from(p, 'base64url').toString()) as { aud?: string; exp?: number; sub?: string };
  if (claims.aud !== audience) return `aud ${claims.aud} is not ${audience}`;
  if (!claims.exp || claims.exp * 1000 < Date.now() || claims.exp * 1000 > Date.now() + 24 * 3600_000) return 'bad exp';
  if (!claims.sub?.startsWith('mailto:') && !claims.sub?.startsWith('https://')) return 'bad sub';
  return null;
}

export interface PushDelivery {
  path: string;
  text: string;
  ttl: string | undefined;
}

/**
 * A push service on 127.0.0.1 over HTTPS (self-signed certificate made with openssl; `agent`
 * trusts it). It accepts a message only with a valid VAPID authorization for its origin and an
 * aes128gcm body it can decrypt with the registered browser's keys; paths under `/gone/` answer
 * 410 like an expired subscription.
 */
export async function startFakePushService(vapidPublicKey: string) {
  const dir = mkdtempSync(join(tmpdir(), 'push-tls-'));
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-days',
      '1',
      '-subj',
      '/CN=127.0.0.1',
      '-addext',
      'subjectAltName=IP:127.0.0.1',
      '-keyout',
      join(dir, 'key.pem'),
      '-out',
      join(dir, 'cert.pem'),
    ],
    { stdio: 'ignore' },
  );
  const cert = readFileSync(join(dir, 'cert.pem'));
  const key = readFileSync(join(dir, 'key.pem'));
  rmSync(dir, { recursive: true, force: true });

  const browsers = new Map<string, BrowserSubscription>();
  const received: PushDelivery[] = [];
  const refused: { path: string; why: string }[] = [];
  let origin = '';
  const server: Server = createServer({ cert, key }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const path = req.url ?? '/';
      const answer = (status: number, why?: string) => {
        if (why) refused.push({ path, why });
        res.writeHead(status).end();
      };
      if (req.method !== 'POST') return answer(405, 'not POST');
      const why = checkVapid(req.headers.authorization, origin, vapidPublicKey);
      if (why) return answer(401, why);
      if (path.startsWith('/gone/')) return answer(410);
      const browser = browsers.get(`${origin}${path}`);
      if (!browser) return answer(404, 'unknown subscription');
      if (req.headers['content-encoding'] !== 'aes128gcm') return answer(400, 'not aes128gcm');
      try {
        received.push({ path, text: browser.decrypt(Buffer.concat(chunks)), ttl: req.headers.ttl as string | undefined });
      } catch (error) {
        return answer(400, `cannot decrypt: ${(error as Error).message}`);
      }
      res.writeHead(201, { location: `${origin}/messages/${received.length}` }).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    origin,
    /** Trusts this server's certificate (for the provider under test). */
    agent: new Agent({ ca: cert, keepAlive: false }),
    received,
    refused,
    /** A new browser subscription at this service; `gone` ones are answered 410. */
    subscribe: (name: string, opts: { gone?: boolean } = {}) => {
      const b = browserSubscription(`${origin}/${opts.gone ? 'gone' : 'push'}/${name}`);
      browsers.set(b.endpoint, b);
      return b;
    },
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
