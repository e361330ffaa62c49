import { randomUUID } from 'node:crypto';
import { Queue } from 'bullmq';
import { createRedis, sentinelTarget } from '@hc/config';
import { addToOutbox, outbox, QUEUES, type NotificationRequest } from '@hc/jobs';
import { gql, signTestToken, startTestSubgraph, TEST_REDIS_URL, testRedisPrefix } from '@hc/testing';
import type { Role } from '@hc/auth';
import { startFakeSmtp, startFakeTwilio, startFakeUltraMsg } from './fake-providers.js';
import { Notification } from '../src/modules/notification/notification.entity.js';
import { notificationSubgraph } from '../src/server.js';

export const WHATSAPP_INSTANCE = 'instance42';
export const WHATSAPP_TOKEN = 'ultramsg-token';
export const TWILIO_SID = 'AC0123456789';
export const TWILIO_TOKEN = 'twilio-secret';
export const TWILIO_FROM = '+15005550006';
/** The public URL Twilio would call (behind a proxy); signatures are computed over it. */
export const TWILIO_CALLBACK = 'https://hooks.example.com/webhooks/twilio/status';

/** Provider env pointing at the fakes, with short retry/lock timings for tests. */
export function providerEnv(fakes: { smtp: { url: string }; whatsapp: { url: string }; sms: { url: string } }) {
  return {
    SMTP_URL: fakes.smtp.url,
    WHATSAPP_API_URL: fakes.whatsapp.url,
    WHATSAPP_INSTANCE_ID: WHATSAPP_INSTANCE,
    WHATSAPP_TOKEN,
    SMS_API_URL: fakes.sms.url,
    TWILIO_ACCOUNT_SID: TWILIO_SID,
    TWILIO_AUTH_TOKEN: TWILIO_TOKEN,
    TWILIO_FROM,
    TWILIO_STATUS_CALLBACK_URL: TWILIO_CALLBACK,
    JOB_ATTEMPTS: '3',
    JOB_BACKOFF_MS: '150',
    PROVIDER_TIMEOUT_MS: '3000',
    WORKER_LOCK_MS: '2000',
  };
}

export async function startFakes() {
  const [smtp, whatsapp, sms] = await Promise.all([
    startFakeSmtp(),
    startFakeUltraMsg(WHATSAPP_INSTANCE, WHATSAPP_TOKEN),
    startFakeTwilio(TWILIO_SID, TWILIO_TOKEN),
  ]);
  return { smtp, whatsapp, sms, stop: () => Promise.all([smtp.stop(), whatsapp.stop(), sms.stop()]).then(() => undefined) };
}

export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | null | undefined | false>,
  timeoutMs = 15_000,
): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The notification subgraph (with its worker unless RUN_WORKER=false) over a fresh database, plus helpers. */
export async function startNotificationPipeline(env: Record<string, string>) {
  const prefix = testRedisPrefix('notif');
  const sub = await startTestSubgraph(notificationSubgraph, { env, redisPrefix: prefix });
  // REDIS_URL in env: a private Redis (tests that flush or kill it), possibly behind Sentinel.
  const target = env.REDIS_SENTINELS
    ? sentinelTarget({
        sentinels: env.REDIS_SENTINELS,
        name: env.REDIS_SENTINEL_NAME ?? 'mymaster',
        baseUrl: env.REDIS_URL ?? TEST_REDIS_URL,
      })
    : (env.REDIS_URL ?? TEST_REDIS_URL);
  const connection = createRedis(target, { maxRetriesPerRequest: null });
  connection.on('error', () => undefined);
  const queue = new Queue(QUEUES.notifications, { connection, prefix });
  queue.on('error', () => undefined);
  const orm = sub.orm;
  return {
    sub,
    orm,
    queue,
    prefix,
    databaseUrl: sub.db.url,
    /** A producer's transaction: the outbox row commits with it; the subgraph's relay publishes it. */
    produce: async (request: Partial<NotificationRequest> & Pick<NotificationRequest, 'userId' | 'template'>) => {
      const full: NotificationRequest = { idempotencyKey: randomUUID(), variables: {}, ...request };
      const row = await orm.em.fork().transactional(async (em) => outbox.notify(em, full));
      return { ...full, outboxId: row.id };
    },
    reschedule: (idempotencyKey: string, sendAt?: string) =>
      orm.em.fork().transactional(async (em) => outbox.reschedule(em, { idempotencyKey, ...(sendAt ? { sendAt } : {}) })),
    /** What auth publishes on every user create/update. */
    userChanged: async (user: { userId?: string; name?: string; email?: string; phone?: string | null; updatedAt?: string }) => {
      const event = {
        userId: user.userId ?? randomUUID(),
        name: user.name ?? 'Alice Patient',
        email: user.email ?? `alice.${randomUUID().slice(0, 6)}@example.com`,
        phone: user.phone === undefined ? '+201001234567' : user.phone,
        role: 'PATIENT',
        isVerified: true,
        updatedAt: user.updatedAt ?? new Date().toISOString(),
      };
      await orm.em.fork().transactional(async (em) => addToOutbox(em, 'user.changed', event));
      return event;
    },
    contactKnown: (userId: string) =>
      waitFor('contact', async () => {
        const [row] = await orm.em.fork().getConnection().execute(`select 1 from contacts where user_id = ?`, [userId]);
        return !!row;
      }),
    record: (idempotencyKey: string) => orm.em.fork().findOne(Notification, { idempotencyKey }),
    waitForStatus: (idempotencyKey: string, statuses: string[], timeoutMs?: number) =>
      waitFor(
        `${idempotencyKey} in ${statuses.join('/')}`,
        async () => {
          const r = await orm.em.fork().findOne(Notification, { idempotencyKey });
          return r && statuses.includes(r.status) ? r : null;
        },
        timeoutMs,
      ),
    token: (id: string, role: Role = 'PATIENT') => signTestToken(sub.keys, { id, role, email: `${id}@example.com` }),
    query: <T = Record<string, any>>(query: string, variables: Record<string, unknown>, token?: string) =>
      gql<T>(sub.graphqlUrl, query, variables, { token }),
    stop: async () => {
      // The subgraph (and its reconcilers) first: they would re-enqueue what obliterate removes.
      await sub.stop();
      await queue.obliterate({ force: true }).catch(() => undefined);
      await queue.close();
      connection.disconnect();
    },
  };
}
export type Pipeline = Awaited<ReturnType<typeof startNotificationPipeline>>;
