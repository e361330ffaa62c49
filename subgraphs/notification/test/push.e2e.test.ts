import { randomUUID } from 'node:crypto';
import https from 'node:https';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import webpush from 'web-push';
import { startSupergraph, type TestSupergraph, until } from '@hc/testing';
import { startFakePushService } from './fake-push.js';
import { supergraph } from '../../../scripts/subgraphs.ts';

type Res = { data?: any; errors?: { extensions?: Record<string, unknown> }[] };
const code = (r: Res) => r.errors?.[0]?.extensions?.code;
const REGISTER = `mutation($i: PushSubscriptionInput!) { registerPushSubscription(input: $i) }`;
const REMOVE = `mutation($e: String!) { removePushSubscription(endpoint: $e) }`;
const SEND = `mutation($i: SendNotificationInput!) { sendNotification(input: $i) { id status channel } }`;
const HISTORY = `{ notificationHistory(first: 10) { nodes { id template channel status errorMessage } } }`;

/**
 * Web Push through the gateway: browsers registered with the real mutations, a message queued by
 * an admin, the supergraph's own notification worker sending it VAPID-signed and encrypted to a
 * push service on 127.0.0.1.
 */
describe('Web Push through the gateway', () => {
  const vapid = webpush.generateVAPIDKeys();
  let push: Awaited<ReturnType<typeof startFakePushService>>;
  let sg: TestSupergraph;
  let savedCa: unknown;

  /** A user as notification knows it after user.changed (its read copy row). */
  const user = async (role: 'PATIENT' | 'DOCTOR' = 'PATIENT') => {
    const id = randomUUID();
    const email = `${role.toLowerCase()}.${id.slice(0, 8)}@example.com`;
    await sg.subgraphs.notification.orm.em
      .getConnection()
      .execute(`insert into contacts (user_id, name, email, role, updated_at) values (?, ?, ?, ?, now())`, [
        id,
        'Push User',
        email,
        role,
      ]);
    return { id, token: sg.tokenFor({ id, role, email }) };
  };
  const history = async (token: string, id: string) =>
    ((await sg.query(HISTORY, {}, token)).data?.notificationHistory.nodes as any[]).find((n) => n.id === id);

  beforeAll(async () => {
    push = await startFakePushService(vapid.publicKey);
    // The worker's Web Push provider uses the default HTTPS agent: trust the local service's certificate there.
    savedCa = https.globalAgent.options.ca;
    https.globalAgent.options.ca = push.agent.options.ca;
    sg = await startSupergraph(supergraph, {
      envFor: { notification: { VAPID_PUBLIC_KEY: vapid.publicKey, VAPID_PRIVATE_KEY: vapid.privateKey } },
    });
  });
  afterAll(async () => {
    await sg?.stop();
    await push?.stop();
    https.globalAgent.options.ca = savedCa as typeof https.globalAgent.options.ca;
  });

  it('register, send as PUSH, decrypt at the push service; only the owner removes; removed: nothing is sent', async () => {
    const alice = await user();
    const mallory = await user();
    const admin = sg.tokenFor({ role: 'ADMIN' });
    const browser = push.subscribe(`alice-${randomUUID()}`);
    const input = { endpoint: browser.endpoint, p256dh: browser.p256dh, auth: browser.auth };

    expect(code(await sg.query(REGISTER, { i: input }))).toBe('UNAUTHENTICATED');
    expect(code(await sg.query(REGISTER, { i: { ...input, endpoint: 'http://push.example.com/x' } }, alice.token))).toBe(
      'BAD_USER_INPUT',
    );
    expect((await sg.query(REGISTER, { i: input }, alice.token)).data?.registerPushSubscription).toBe(true);
    // Someone else cannot remove Alice's browser (answers false, changes nothing) nor queue messages.
    expect((await sg.query(REMOVE, { e: browser.endpoint }, mallory.token)).data?.removePushSubscription).toBe(false);
    expect(
      code(await sg.query(SEND, { i: { userId: alice.id, template: 'auth.account_exists', channel: 'PUSH' } }, mallory.token)),
    ).toBe('FORBIDDEN');

    const sent = await sg.query(SEND, { i: { userId: alice.id, template: 'auth.account_exists', channel: 'PUSH' } }, admin);
    expect(sent.errors).toBeUndefined();
    const id = sent.data!.sendNotification.id as string;
    const record = await until('the message to be sent', async () => {
      const n = await history(alice.token, id);
      return n && ['SENT', 'FAILED'].includes(n.status) && n;
    });
    expect(record).toMatchObject({ template: 'auth.account_exists', channel: 'PUSH', status: 'SENT' });
    const path = new URL(browser.endpoint).pathname;
    const delivered = push.received.filter((r) => r.path === path);
    expect(delivered.map((r) => JSON.parse(r.text))).toEqual([
      {
        title: 'You already have an account',
        body: 'Someone tried to register with this address, which already has an account. Sign in or reset your password instead.',
      },
    ]);
    expect(push.refused).toEqual([]);
    // Mallory does not see Alice's message in her history.
    expect(await history(mallory.token, id)).toBeUndefined();

    expect((await sg.query(REMOVE, { e: browser.endpoint }, alice.token)).data?.removePushSubscription).toBe(true);
    const again = await sg.query(SEND, { i: { userId: alice.id, template: 'auth.account_exists', channel: 'PUSH' } }, admin);
    const failed = await until('the second message to settle', async () => {
      const n = await history(alice.token, again.data!.sendNotification.id);
      return n && ['SENT', 'FAILED'].includes(n.status) && n;
    });
    expect(failed).toMatchObject({ status: 'FAILED', errorMessage: 'user has no push subscription' });
    expect(push.received.filter((r) => r.path === path)).toHaveLength(1);
  });
});
