import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import webpush from 'web-push';
import { createConsumer, NOTIFICATION_BACKOFF_TYPE, QUEUES, type UserChangedEvent } from '@hc/jobs';
import { createLogger } from '@hc/logger';
import { errorCode, TEST_REDIS_URL } from '@hc/testing';
import { DeliveryProcessor } from '../notification/notification.worker.js';
import { applyUserChanged } from '../contact/contact.consumer.js';
import { NotificationChannel } from '../template/template.entity.js';
import { PermanentProviderError, type Provider } from '../providers/index.js';
import { resolveVapidKeys, WebPushProvider } from '../providers/webpush.provider.js';
import { DEFAULT_TEMPLATES } from '../template/template.defaults.js';
import { startFakePushService } from '../../../test/fake-push.js';
import { startNotificationPipeline, type Pipeline } from '../../../test/pipeline-harness.js';

let p: Pipeline;
let push: Awaited<ReturnType<typeof startFakePushService>>;
let consumers: { start: () => void; stop: () => Promise<void> }[] = [];
const vapid = webpush.generateVAPIDKeys();

const notUsed: Provider = {
  send: () => {
    throw new PermanentProviderError('not used in this test');
  },
};

beforeAll(async () => {
  push = await startFakePushService(vapid.publicKey);
  // The subgraph without its own worker; this file runs one whose Web Push provider trusts the local push service.
  p = await startNotificationPipeline({ RUN_WORKER: 'false', JOB_ATTEMPTS: '2', JOB_BACKOFF_MS: '100' });
  const logger = createLogger('push-test', { LOG_LEVEL: 'silent', NODE_ENV: 'test' });
  const processor = new DeliveryProcessor({
    orm: p.orm,
    providers: {
      [NotificationChannel.EMAIL]: notUsed,
      [NotificationChannel.WHATSAPP]: notUsed,
      [NotificationChannel.SMS]: notUsed,
      [NotificationChannel.PUSH]: new WebPushProvider({
        vapid,
        subject: 'mailto:ops@healthcare.local',
        timeoutMs: 3000,
        agent: push.agent,
      }),
    },
    logger,
    attempts: 2,
    leaseMs: 5000,
    queue: p.queue,
  });
  const common = { redisUrl: TEST_REDIS_URL, prefix: p.prefix, logger };
  consumers = [
    createConsumer({
      ...common,
      queue: QUEUES.notifications,
      handler: processor.process,
      workerOptions: { settings: { backoffStrategy: (_n, type) => (type === NOTIFICATION_BACKOFF_TYPE ? 100 : 1000) } },
    }),
    createConsumer<UserChangedEvent>({
      ...common,
      queue: QUEUES.notificationEvents,
      handler: (job) => applyUserChanged(p.orm, job.data),
    }),
  ];
  for (const c of consumers) c.start();
});
afterAll(async () => {
  for (const c of consumers) await c.stop();
  await p?.stop();
  await push?.stop();
});

const REGISTER = `mutation($i: PushSubscriptionInput!) { registerPushSubscription(input: $i) }`;
const REMOVE = `mutation($e: String!) { removePushSubscription(endpoint: $e) }`;
const rows = (userId: string) =>
  p.orm.em
    .fork()
    .getConnection()
    .execute<{ endpoint: string; p256dh: string }[]>(
      `select endpoint, p256dh from push_subscriptions where user_id = ? order by endpoint`,
      [userId],
    );

async function knownUser() {
  const user = await p.userChanged({});
  await p.contactKnown(user.userId);
  return { ...user, token: p.token(user.userId) };
}

describe('push subscriptions', () => {
  it('signed-in users register browsers (one row per endpoint, upsert) and remove only their own; input is checked', async () => {
    const alice = await knownUser();
    const bob = await knownUser();
    const browser = push.subscribe(`a-${randomUUID()}`);
    const input = { endpoint: browser.endpoint, p256dh: browser.p256dh, auth: browser.auth };
    expect(errorCode(await p.query(REGISTER, { i: input }))).toBe('UNAUTHENTICATED');
    expect((await p.query(REGISTER, { i: input }, alice.token)).data?.registerPushSubscription).toBe(true);
    // The same browser subscribing again (new keys) keeps one row.
    const renewed = push.subscribe(`renewed-${randomUUID()}`);
    await p.query(REGISTER, { i: { ...input, p256dh: renewed.p256dh } }, alice.token);
    expect(await rows(alice.userId)).toEqual([{ endpoint: browser.endpoint, p256dh: renewed.p256dh }]);
    // Bob signs in on that browser: the endpoint is his now.
    await p.query(REGISTER, { i: input }, bob.token);
    expect(await rows(alice.userId)).toEqual([]);
    expect(await rows(bob.userId)).toHaveLength(1);
    expect((await p.query(REMOVE, { e: browser.endpoint }, alice.token)).data?.removePushSubscription).toBe(false);
    expect(await rows(bob.userId)).toHaveLength(1);
    expect((await p.query(REMOVE, { e: browser.endpoint }, bob.token)).data?.removePushSubscription).toBe(true);
    expect(await rows(bob.userId)).toEqual([]);

    const bad = async (i: Record<string, string>, fields: string[]) => {
      const res = await p.query(REGISTER, { i: { ...input, ...i } }, alice.token);
      expect(res.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT' });
      expect((res.errors?.[0]?.extensions?.fields as { field: string }[]).map((f) => f.field)).toEqual(fields);
    };
    await bad({ endpoint: 'http://push.example.com/x' }, ['endpoint']);
    await bad({ endpoint: 'not a url' }, ['endpoint']);
    await bad({ p256dh: Buffer.alloc(65, 4).toString('base64url').slice(0, 80) }, ['p256dh']);
    await bad({ p256dh: Buffer.alloc(65, 3).toString('base64url') }, ['p256dh']);
    await bad({ auth: Buffer.alloc(12).toString('base64url') }, ['auth']);
    await bad({ auth: 'not*base64' }, ['auth']);
    expect(await rows(alice.userId)).toEqual([]);
  });

  it('preferences: pushEnabled defaults to true and can be turned off', async () => {
    const alice = await knownUser();
    const q = `{ _entities(representations: [{ __typename: "User", id: "${alice.userId}" }]) { ... on User { notificationPreferences { pushEnabled } } } }`;
    expect((await p.query(q, {}, alice.token)).data?._entities).toEqual([{ notificationPreferences: { pushEnabled: true } }]);
    const off = await p.query(
      `mutation { updateNotificationPreferences(input: { pushEnabled: false, preferredChannel: PUSH }) { pushEnabled preferredChannel } }`,
      {},
      alice.token,
    );
    expect(off.data?.updateNotificationPreferences).toEqual({ pushEnabled: false, preferredChannel: 'PUSH' });
  });
});

describe('the PUSH channel', () => {
  it('sends the rendered title and body, VAPID-signed and aes128gcm-encrypted, to every browser; a 410 removes that subscription', async () => {
    const alice = await knownUser();
    const laptop = push.subscribe(`laptop-${randomUUID()}`);
    const phone = push.subscribe(`phone-${randomUUID()}`);
    const expired = push.subscribe(`old-${randomUUID()}`, { gone: true });
    for (const b of [laptop, phone, expired])
      await p.query(REGISTER, { i: { endpoint: b.endpoint, p256dh: b.p256dh, auth: b.auth } }, alice.token);

    const req = await p.produce({
      userId: alice.userId,
      template: 'order.status_changed',
      channel: 'PUSH',
      variables: { orderId: 'o-1', status: 'DELIVERED', trackingNumber: 'TRK-1' },
    });
    const record = await p.waitForStatus(req.idempotencyKey, ['SENT', 'FAILED']);
    expect(record).toMatchObject({ status: 'SENT', channel: 'PUSH', destination: '3 browser(s)', providerMessageId: 'push:2/3' });
    const mine = push.received.filter(
      (r) => r.path.endsWith(laptop.endpoint.split('/').pop()!) || r.path.endsWith(phone.endpoint.split('/').pop()!),
    );
    expect(mine.map((r) => JSON.parse(r.text))).toEqual([
      { title: 'Order update', body: 'Your order o-1 is now DELIVERED. Tracking number: TRK-1' },
      { title: 'Order update', body: 'Your order o-1 is now DELIVERED. Tracking number: TRK-1' },
    ]);
    expect(mine.every((r) => Number(r.ttl) > 0)).toBe(true);
    expect(push.refused).toEqual([]);
    expect((await rows(alice.userId)).map((r) => r.endpoint).sort()).toEqual([laptop.endpoint, phone.endpoint].sort());
  });

  it('the preferred channel PUSH is used when no channel is named; opted out: SKIPPED; only expired browsers: FAILED', async () => {
    const alice = await knownUser();
    const tablet = push.subscribe(`tablet-${randomUUID()}`);
    await p.query(REGISTER, { i: { endpoint: tablet.endpoint, p256dh: tablet.p256dh, auth: tablet.auth } }, alice.token);
    await p.query(
      `mutation { updateNotificationPreferences(input: { preferredChannel: PUSH }) { preferredChannel } }`,
      {},
      alice.token,
    );
    const before = push.received.length;
    const preferred = await p.produce({ userId: alice.userId, template: 'auth.account_exists' });
    expect(await p.waitForStatus(preferred.idempotencyKey, ['SENT', 'FAILED'])).toMatchObject({
      status: 'SENT',
      channel: 'PUSH',
    });
    expect(JSON.parse(push.received[before]!.text)).toEqual({
      title: 'You already have an account',
      body: 'Someone tried to register with this address, which already has an account. Sign in or reset your password instead.',
    });

    await p.query(`mutation { updateNotificationPreferences(input: { pushEnabled: false }) { pushEnabled } }`, {}, alice.token);
    const off = await p.produce({
      userId: alice.userId,
      template: 'order.confirmed',
      channel: 'PUSH',
      variables: { orderId: 'o', totalAmount: '1.00', pharmacyName: 'P' },
    });
    expect(await p.waitForStatus(off.idempotencyKey, ['SKIPPED', 'SENT', 'FAILED'])).toMatchObject({ status: 'SKIPPED' });

    const bob = await knownUser();
    const old = push.subscribe(`old-${randomUUID()}`, { gone: true });
    await p.query(REGISTER, { i: { endpoint: old.endpoint, p256dh: old.p256dh, auth: old.auth } }, bob.token);
    const gone = await p.produce({ userId: bob.userId, template: 'auth.account_exists', channel: 'PUSH' });
    expect(await p.waitForStatus(gone.idempotencyKey, ['SENT', 'FAILED'])).toMatchObject({
      status: 'FAILED',
      errorMessage: 'every push subscription of the user has expired',
    });
    expect(await rows(bob.userId)).toEqual([]);
    const none = await p.produce({ userId: bob.userId, template: 'auth.account_exists', channel: 'PUSH' });
    expect(await p.waitForStatus(none.idempotencyKey, ['SENT', 'FAILED'])).toMatchObject({
      status: 'FAILED',
      errorMessage: 'user has no push subscription',
    });
  });

  it('every catalogue template has an active PUSH version with a title', async () => {
    const rows = await p.orm.em
      .fork()
      .getConnection()
      .execute<{ name: string; subject: string | null }[]>(
        `select name, subject from notification_templates where channel = 'PUSH' and is_active`,
      );
    expect(rows.map((r) => r.name).sort()).toEqual(DEFAULT_TEMPLATES.map((t) => t.name).sort());
    expect(rows.every((r) => !!r.subject)).toBe(true);
  });

  it('the local push service refuses a VAPID signature that does not match the key (the check is real)', async () => {
    const other = webpush.generateVAPIDKeys();
    const forged = new WebPushProvider({
      vapid: { publicKey: vapid.publicKey, privateKey: other.privateKey },
      subject: 'mailto:ops@healthcare.local',
      timeoutMs: 3000,
      agent: push.agent,
    });
    const b = push.subscribe(`forged-${randomUUID()}`);
    await expect(
      forged.send({ to: b.endpoint, push: { p256dh: b.p256dh, auth: b.auth }, text: 'x', reference: 'r' }),
    ).rejects.toThrow('push service answered 401');
    expect(push.refused).toContainEqual({ path: new URL(b.endpoint).pathname, why: 'bad signature' });
  });
});

describe('VAPID keys', () => {
  it('come from config, or outside production are generated once into KEYS_DIR/vapid.json', () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'vapid-')), 'keys');
    const first = resolveVapidKeys({ keysDir: dir, production: false })!;
    expect(Buffer.from(first.publicKey, 'base64url')).toHaveLength(65);
    expect(resolveVapidKeys({ keysDir: dir, production: false })).toEqual(first);
    expect(JSON.parse(readFileSync(join(dir, 'vapid.json'), 'utf8'))).toEqual(first);
    expect(statSync(join(dir, 'vapid.json')).mode & 0o777).toBe(0o600);
    expect(resolveVapidKeys({ keysDir: dir, production: true })).toBeNull();
    expect(resolveVapidKeys({ ...vapid, keysDir: dir, production: true })).toEqual(vapid);
    expect(() => resolveVapidKeys({ publicKey: vapid.publicKey, keysDir: dir, production: true })).toThrow('set together');
  });
});
