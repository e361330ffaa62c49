import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { REDACTED } from '@hc/jobs';
import { twilioSignature } from '../receipts/twilio.webhook.js';
import { Notification } from './notification.entity.js';
import { errorCode } from '@hc/testing';
import { DEFAULT_TEMPLATES } from '../template/template.defaults.js';
import {
  startFakes,
  providerEnv,
  startNotificationPipeline,
  TWILIO_CALLBACK,
  TWILIO_FROM,
  TWILIO_SID,
  TWILIO_TOKEN,
  waitFor,
  type Pipeline,
} from '../../../test/pipeline-harness.js';

let fakes: Awaited<ReturnType<typeof startFakes>>;
let p: Pipeline;

beforeAll(async () => {
  fakes = await startFakes();
  p = await startNotificationPipeline(providerEnv(fakes));
});
afterAll(async () => {
  await p?.stop();
  await fakes?.stop();
});
beforeEach(() => {
  fakes.smtp.behaviour = () => undefined;
  fakes.whatsapp.behaviour = () => undefined;
  fakes.sms.behaviour = () => undefined;
});

async function knownUser(overrides: { phone?: string | null; name?: string } = {}) {
  const user = await p.userChanged(overrides);
  await p.contactKnown(user.userId);
  return user;
}

const appointmentVars = {
  appointmentId: 'a1',
  doctorName: 'Dr Who',
  patientName: 'Alice',
  workplaceName: 'Clinic One',
  startsAt: '2026-12-01T09:30:00Z',
  timeZone: 'Africa/Cairo',
};

describe('each channel end to end (outbox → relay → BullMQ → worker → provider)', () => {
  it('EMAIL: renders the template and delivers to the SMTP server; the code is redacted afterwards', async () => {
    const user = await knownUser({ name: 'Alice <b>Bold</b>' });
    const req = await p.produce({
      userId: user.userId,
      template: 'auth.otp',
      channel: 'EMAIL',
      variables: { code: '482913', expiresInMinutes: 10, purpose: 'verify' },
      secretVariables: ['code'],
      critical: true,
    });
    const record = await p.waitForStatus(req.idempotencyKey, ['SENT']);
    const mail = fakes.smtp.received.find((m) => m.to === user.email)!;
    expect(mail.subject).toBe('Your verification code');
    expect(mail.text).toContain('482913');
    // HTML escaping: the name arrives as text, not markup.
    expect(mail.html).toContain('Alice &lt;b&gt;Bold&lt;/b&gt;');
    expect(record.destination).toBe(`a***@example.com`);
    expect(record.attempts).toBe(1);

    const job = await p.queue.getJob(req.outboxId);
    expect(job?.data.variables.code).toBe(REDACTED);
    const [row] = await p.orm.em.fork().getConnection().execute(`select payload from outbox where id = ?`, [req.outboxId]);
    expect(JSON.stringify(row.payload)).not.toContain('482913');
    const [stored] = await p.orm.em
      .fork()
      .getConnection()
      .execute(`select row_to_json(n)::text as j from notifications n where id = ?`, [record.id]);
    expect(stored.j).not.toContain('482913');
  });

  it('WHATSAPP: posts token, to, body to UltraMsg', async () => {
    const user = await knownUser({ phone: '+201001234567' });
    const req = await p.produce({
      userId: user.userId,
      template: 'order.status_changed',
      channel: 'WHATSAPP',
      variables: { orderId: 'o-1', status: 'DELIVERED' },
    });
    const record = await p.waitForStatus(req.idempotencyKey, ['SENT']);
    const call = fakes.whatsapp.calls.find((c) => c.form.to === '+201001234567')!;
    expect(call.form.token).toBe('ultramsg-token');
    expect(call.form.body).toBe('Your order o-1 is now DELIVERED.');
    expect(record.channel).toBe('WHATSAPP');
    expect(record.destination).toBe('+20********67');
  });

  it('SMS: posts To, From, Body to Twilio with basic auth and keeps the message sid', async () => {
    const user = await knownUser({ phone: '+14155552671' });
    const req = await p.produce({
      userId: user.userId,
      template: 'appointment.reminder',
      channel: 'SMS',
      variables: appointmentVars,
    });
    const record = await p.waitForStatus(req.idempotencyKey, ['SENT']);
    const call = fakes.sms.calls.find((c) => c.form.To === '+14155552671')!;
    expect(call.form.From).toBe(TWILIO_FROM);
    // DATETIME variables are shown in the workplace's time zone.
    expect(call.form.Body).toBe('Reminder: appointment with Dr Who at Clinic One on Tue 1 Dec 2026, 11:30 (Africa/Cairo).');
    expect(record.providerMessageId).toMatch(/^SM/);
  });
});

describe('delivery receipts', () => {
  it('a signed Twilio status callback marks the SMS DELIVERED; an unsigned one is refused', async () => {
    const user = await knownUser({ phone: '+14155552672' });
    const req = await p.produce({
      userId: user.userId,
      template: 'order.status_changed',
      channel: 'SMS',
      variables: { orderId: 'o-7', status: 'OUT_FOR_DELIVERY', trackingNumber: 'TRK1' },
    });
    const sent = await p.waitForStatus(req.idempotencyKey, ['SENT']);
    expect(fakes.sms.calls.find((c) => c.form.To === '+14155552672')?.form.StatusCallback).toBe(TWILIO_CALLBACK);
    const form = { MessageSid: sent.providerMessageId!, MessageStatus: 'delivered', AccountSid: TWILIO_SID };
    const post = (signature: string) =>
      fetch(`${p.sub.server.url}/webhooks/twilio/status`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': signature },
        body: new URLSearchParams(form).toString(),
      });
    expect((await post('forged')).status).toBe(403);
    expect((await p.record(req.idempotencyKey))?.status).toBe('SENT');
    expect((await post(twilioSignature(TWILIO_TOKEN, TWILIO_CALLBACK, form))).status).toBe(204);
    const delivered = await p.record(req.idempotencyKey);
    expect(delivered?.status).toBe('DELIVERED');
    expect(delivered?.deliveredAt).toBeInstanceOf(Date);
  });
});

describe('reliability', () => {
  it('the same request enqueued twice sends one message', async () => {
    const user = await knownUser();
    const key = `dup-${randomUUID()}`;
    const a = await p.produce({ idempotencyKey: key, userId: user.userId, template: 'auth.account_exists', channel: 'EMAIL' });
    const b = await p.produce({ idempotencyKey: key, userId: user.userId, template: 'auth.account_exists', channel: 'EMAIL' });
    await p.waitForStatus(key, ['SENT']);
    await waitFor('both jobs done', async () => {
      const states = await Promise.all([a.outboxId, b.outboxId].map(async (id) => (await p.queue.getJob(id))?.getState()));
      return states.every((s) => s === 'completed');
    });
    expect(fakes.smtp.received.filter((m) => m.to === user.email)).toHaveLength(1);
  });

  it('a transient failure (SMTP 421) is retried with backoff and then succeeds', async () => {
    const user = await knownUser();
    let tried = 0;
    fakes.smtp.behaviour = (_n, to) =>
      to === user.email && tried++ === 0 ? { code: 421, message: 'try again later' } : undefined;
    const req = await p.produce({
      userId: user.userId,
      template: 'auth.password_changed',
      channel: 'EMAIL',
      variables: { changedAt: new Date().toISOString() },
    });
    const record = await p.waitForStatus(req.idempotencyKey, ['SENT']);
    expect(tried).toBe(2);
    expect(record.attempts).toBe(2);
    expect(fakes.smtp.received.filter((m) => m.to === user.email)).toHaveLength(1);
  });

  it('a permanent failure (Twilio 400) stops at once and ends FAILED with the reason', async () => {
    const user = await knownUser({ phone: '+14155550123' });
    let calls = 0;
    fakes.sms.behaviour = (_n, call) =>
      call.form.To === '+14155550123'
        ? (calls++, { status: 400, body: { code: 21610, message: 'Attempt to send to unsubscribed recipient', status: 400 } })
        : undefined;
    const req = await p.produce({
      userId: user.userId,
      template: 'stock.low',
      channel: 'SMS',
      variables: { itemName: 'X', branchName: 'B', quantity: 1, minStockLevel: 5 },
    });
    const record = await p.waitForStatus(req.idempotencyKey, ['FAILED']);
    expect(record.errorMessage).toContain('Twilio answered 400: 21610');
    expect(record.attempts).toBe(1);
    const job = await waitFor('failed job', async () => {
      const j = await p.queue.getJob(req.outboxId);
      return (await j?.getState()) === 'failed' ? j : null;
    });
    expect(job.attemptsMade).toBe(1);
    expect(calls).toBe(1);
  });

  it('a bad address (SMTP 550 on RCPT) fails permanently after one attempt', async () => {
    const user = await knownUser();
    fakes.smtp.beforeRcpt = (address) => {
      if (address === user.email) throw Object.assign(new Error('No such user here'), { responseCode: 550 });
    };
    try {
      const req = await p.produce({ userId: user.userId, template: 'auth.account_exists', channel: 'EMAIL' });
      const record = await p.waitForStatus(req.idempotencyKey, ['FAILED']);
      expect(record.attempts).toBe(1);
      expect(record.errorMessage).toMatch(/^SMTP 550/);
    } finally {
      fakes.smtp.beforeRcpt = undefined;
    }
  });

  it('a template missing a required variable fails clearly, without retrying', async () => {
    const user = await knownUser();
    const { doctorName: _omit, ...vars } = appointmentVars;
    const req = await p.produce({ userId: user.userId, template: 'appointment.booked', channel: 'EMAIL', variables: vars });
    const record = await p.waitForStatus(req.idempotencyKey, ['FAILED']);
    expect(record.errorMessage).toBe('template appointment.booked (EMAIL) is missing required variable "doctorName"');
    expect(record.attempts).toBe(1);
  });

  it('a message for a user whose contact is not known yet waits for the user.changed event', async () => {
    const userId = randomUUID();
    const req = await p.produce({ userId, template: 'auth.account_exists', channel: 'EMAIL' });
    await waitFor('first attempt', async () => ((await p.record(req.idempotencyKey))?.attempts ?? 0) >= 1);
    const user = await p.userChanged({ userId });
    await p.waitForStatus(req.idempotencyKey, ['SENT']);
    expect(fakes.smtp.received.some((m) => m.to === user.email)).toBe(true);
  });

  it('a message for a user never heard of fails after the configured attempts', async () => {
    const req = await p.produce({ userId: randomUUID(), template: 'auth.account_exists', channel: 'EMAIL' });
    const record = await p.waitForStatus(req.idempotencyKey, ['FAILED']);
    expect(record.attempts).toBe(3);
    expect(record.errorMessage).toMatch(/recipient unknown/);
  });

  it('an older user.changed event does not overwrite a newer contact', async () => {
    const userId = randomUUID();
    await p.userChanged({ userId, email: 'new@example.com', updatedAt: '2026-01-02T00:00:00Z' });
    await p.contactKnown(userId);
    await p.userChanged({ userId, email: 'old@example.com', updatedAt: '2026-01-01T00:00:00Z' });
    await new Promise((r) => setTimeout(r, 500));
    const [row] = await p.orm.em.fork().getConnection().execute(`select email from contacts where user_id = ?`, [userId]);
    expect(row.email).toBe('new@example.com');
  });
});

describe('preferences', () => {
  it('an opt-out is respected (SKIPPED), an OTP is sent regardless', async () => {
    const user = await knownUser();
    const res = await p.query(
      `mutation { updateNotificationPreferences(input: { emailEnabled: false }) { emailEnabled smsEnabled } }`,
      {},
      p.token(user.userId),
    );
    expect(res.data?.updateNotificationPreferences).toEqual({ emailEnabled: false, smsEnabled: true });

    const promo = await p.produce({
      userId: user.userId,
      template: 'appointment.booked',
      channel: 'EMAIL',
      variables: appointmentVars,
    });
    const skipped = await p.waitForStatus(promo.idempotencyKey, ['SKIPPED']);
    expect(skipped.errorMessage).toBe('opted out of EMAIL');

    const otp = await p.produce({
      userId: user.userId,
      template: 'auth.otp',
      channel: 'EMAIL',
      variables: { code: '111222', expiresInMinutes: 5 },
      secretVariables: ['code'],
    });
    await p.waitForStatus(otp.idempotencyKey, ['SENT']);
    expect(fakes.smtp.received.filter((m) => m.to === user.email).map((m) => m.subject)).toEqual(['Your verification code']);
  });

  it('without a channel, the preferred channel is used', async () => {
    const user = await knownUser({ phone: '+201009998877' });
    await p.query(
      `mutation { updateNotificationPreferences(input: { preferredChannel: WHATSAPP }) { preferredChannel } }`,
      {},
      p.token(user.userId),
    );
    const req = await p.produce({
      userId: user.userId,
      template: 'order.confirmed',
      variables: { orderId: 'o9', totalAmount: '12.50', pharmacyName: 'Ph' },
    });
    const record = await p.waitForStatus(req.idempotencyKey, ['SENT']);
    expect(record.channel).toBe('WHATSAPP');
  });
});

describe('scheduled messages', () => {
  it('sendAt delays the message; a scheduled message can be moved earlier or cancelled by its key', async () => {
    const user = await knownUser();
    const later = new Date(Date.now() + 60 * 60_000).toISOString();
    const moved = await p.produce({
      userId: user.userId,
      template: 'appointment.reminder',
      channel: 'EMAIL',
      variables: appointmentVars,
      sendAt: later,
    });
    const cancelled = await p.produce({
      userId: user.userId,
      template: 'appointment.reminder',
      channel: 'EMAIL',
      variables: appointmentVars,
      sendAt: later,
    });
    await waitFor('delayed', async () => (await (await p.queue.getJob(moved.outboxId))?.getState()) === 'delayed');
    await waitFor('delayed', async () => (await (await p.queue.getJob(cancelled.outboxId))?.getState()) === 'delayed');
    expect((await p.record(moved.idempotencyKey))?.status).toBe('QUEUED');

    await p.reschedule(moved.idempotencyKey, new Date(Date.now() + 300).toISOString());
    await p.reschedule(cancelled.idempotencyKey);
    await p.waitForStatus(moved.idempotencyKey, ['SENT']);
    const c = await p.waitForStatus(cancelled.idempotencyKey, ['SKIPPED']);
    expect(c.errorMessage).toBe('cancelled');
    expect(await p.queue.getJob(cancelled.outboxId)).toBeUndefined();
    expect(fakes.smtp.received.filter((m) => m.to === user.email)).toHaveLength(1);
  });

  it('a cancel that arrives before its message still wins; a move that arrives first sets the time', async () => {
    const user = await knownUser();
    const cancelKey = `early-cancel-${randomUUID()}`;
    const moveKey = `early-move-${randomUUID()}`;
    await p.reschedule(cancelKey);
    await p.reschedule(moveKey, new Date(Date.now() + 500).toISOString());
    const conn = p.orm.em.fork().getConnection();
    await waitFor('changes recorded', async () => {
      const [r] = await conn.execute(
        `select count(*)::int as n from notification_schedule_changes where idempotency_key in (?, ?)`,
        [cancelKey, moveKey],
      );
      return r.n === 2;
    });
    const later = new Date(Date.now() + 60 * 60_000).toISOString();
    await p.produce({
      idempotencyKey: cancelKey,
      userId: user.userId,
      template: 'appointment.reminder',
      channel: 'EMAIL',
      variables: appointmentVars,
      sendAt: later,
    });
    await p.produce({
      idempotencyKey: moveKey,
      userId: user.userId,
      template: 'appointment.reminder',
      channel: 'EMAIL',
      variables: appointmentVars,
      sendAt: later,
    });
    expect((await p.waitForStatus(cancelKey, ['SKIPPED'])).errorMessage).toBe('cancelled');
    await p.waitForStatus(moveKey, ['SENT']);
    expect(fakes.smtp.received.filter((m) => m.to === user.email)).toHaveLength(1);
  });

  it('a short sendAt is delivered when due', async () => {
    const user = await knownUser();
    const sendAt = new Date(Date.now() + 1_000).toISOString();
    const req = await p.produce({
      userId: user.userId,
      template: 'appointment.reminder',
      channel: 'EMAIL',
      variables: appointmentVars,
      sendAt,
    });
    const record = await p.waitForStatus(req.idempotencyKey, ['SENT']);
    expect(record.sentAt!.getTime()).toBeGreaterThanOrEqual(Date.parse(sendAt) - 300);
  });
});

describe('GraphQL: history, templates, admin operations', () => {
  it('notificationHistory shows the caller their own messages, masked; another user id is NOT_FOUND', async () => {
    const user = await knownUser();
    const req = await p.produce({ userId: user.userId, template: 'auth.account_exists', channel: 'EMAIL' });
    await p.waitForStatus(req.idempotencyKey, ['SENT']);
    const mine = await p.query(
      `{ notificationHistory { totalCount nodes { template channel destination status attempts sentAt } } }`,
      {},
      p.token(user.userId),
    );
    expect(mine.data?.notificationHistory.totalCount).toBe(1);
    expect(mine.data?.notificationHistory.nodes[0]).toMatchObject({
      template: 'auth.account_exists',
      destination: 'a***@example.com',
      status: 'SENT',
      attempts: 1,
    });
    const other = await p.query(
      `query($u: ID) { notificationHistory(userId: $u) { totalCount } }`,
      { u: user.userId },
      p.token(randomUUID()),
    );
    expect(errorCode(other)).toBe('NOT_FOUND');
    const admin = await p.query(
      `query($u: ID) { notificationHistory(userId: $u) { totalCount } }`,
      { u: user.userId },
      p.token(randomUUID(), 'ADMIN'),
    );
    expect(admin.data?.notificationHistory.totalCount).toBe(1);
  });

  it('User.notificationPreferences and User.notifications resolve through the entity reference, for self or admin only', async () => {
    const user = await knownUser();
    const q = `query($r: [_Any!]!) { _entities(representations: $r) { ... on User { id notificationPreferences { emailEnabled } notifications(first: 5) { totalCount } } } }`;
    const vars = { r: [{ __typename: 'User', id: user.userId }] };
    const self = await p.query(q, vars, p.token(user.userId));
    expect(self.data?._entities[0]).toMatchObject({ id: user.userId, notificationPreferences: { emailEnabled: true } });
    const stranger = await p.query(q, vars, p.token(randomUUID()));
    expect(errorCode(stranger)).toBe('FORBIDDEN');
  });

  it('the operations view is admin-only', async () => {
    const res = await p.query(`{ notificationQueueStats { waiting } }`, {}, p.token(randomUUID()));
    expect(errorCode(res)).toBe('FORBIDDEN');
    const retry = await p.query(`mutation { retryFailedNotifications }`, {}, p.token(randomUUID(), 'DOCTOR'));
    expect(errorCode(retry)).toBe('FORBIDDEN');
    const anonymous = await p.query(`{ failedNotificationJobs { jobId } }`, {});
    expect(errorCode(anonymous)).toBe('UNAUTHENTICATED');
  });

  it('upsertNotificationTemplate rejects undeclared placeholders and is admin-only', async () => {
    const admin = p.token(randomUUID(), 'ADMIN');
    const m = `mutation($i: TemplateInput!) { upsertNotificationTemplate(input: $i) { name channel variables { name isRequired } } }`;
    const bad = await p.query(
      m,
      { i: { name: 'promo.news', channel: 'EMAIL', content: 'Hi {{recipientName}} {{discount}}', variables: [] } },
      admin,
    );
    expect(errorCode(bad)).toBe('BAD_USER_INPUT');
    expect(bad.errors?.[0]?.message).toContain('discount');
    const ok = await p.query(
      m,
      {
        i: {
          name: 'promo.news',
          channel: 'EMAIL',
          subject: 'News',
          content: 'Hi {{recipientName}}, {{#if discount}}{{discount}}% off{{/if}}',
          variables: [{ name: 'discount', type: 'NUMBER', isRequired: false }],
        },
      },
      admin,
    );
    expect(ok.data?.upsertNotificationTemplate).toEqual({
      name: 'promo.news',
      channel: 'EMAIL',
      variables: [{ name: 'discount', isRequired: false }],
    });
    const notAdmin = await p.query(m, { i: { name: 'promo.news', channel: 'EMAIL', content: 'x' } }, p.token(randomUUID()));
    expect(errorCode(notAdmin)).toBe('FORBIDDEN');
    const list = await p.query(`{ notificationTemplates { name channel } }`, {}, admin);
    // Every catalogue template × 4 channels (email, WhatsApp, SMS, push), plus the one above.
    expect(list.data?.notificationTemplates).toHaveLength(DEFAULT_TEMPLATES.length * 4 + 1);
  });

  it('sendNotification (admin) goes through the pipeline; failed jobs are listed and can be retried', async () => {
    const admin = p.token(randomUUID(), 'ADMIN');
    const user = await knownUser();
    const send = `mutation($i: SendNotificationInput!) { sendNotification(input: $i) { id status destination } }`;
    // Inactive template → the job fails permanently; after the admin fixes it, a retry sends.
    await p.query(
      `mutation { upsertNotificationTemplate(input: { name: "doctor.review_result", channel: SMS, content: "x", isActive: false }) { id } }`,
      {},
      admin,
    );
    const sent = await p.query(
      send,
      { i: { userId: user.userId, template: 'doctor.review_result', channel: 'EMAIL', variables: { status: 'APPROVED' } } },
      admin,
    );
    expect(sent.data?.sendNotification).toMatchObject({ status: 'QUEUED', destination: 'a***@example.com' });
    const id = sent.data?.sendNotification.id;
    await waitFor('sent', async () => (await p.orm.em.fork().findOne(Notification, { id }))?.status === 'SENT');

    const failing = await p.produce({
      userId: user.userId,
      template: 'doctor.review_result',
      channel: 'SMS',
      variables: { status: 'REJECTED' },
    });
    await p.waitForStatus(failing.idempotencyKey, ['FAILED']);
    const failed = await p.query(
      `{ failedNotificationJobs { jobId failedReason template } notificationQueueStats { failed } }`,
      {},
      admin,
    );
    expect(failed.data?.failedNotificationJobs).toEqual(
      expect.arrayContaining([
        {
          jobId: failing.outboxId,
          failedReason: 'no active template "doctor.review_result" for SMS',
          template: 'doctor.review_result',
        },
      ]),
    );
    expect(failed.data?.notificationQueueStats.failed).toBeGreaterThanOrEqual(1);

    await p.query(
      `mutation { upsertNotificationTemplate(input: { name: "doctor.review_result", channel: SMS, content: "Review: {{status}}", variables: [{ name: "status", type: STRING }], isActive: true }) { id } }`,
      {},
      admin,
    );
    const retried = await p.query(
      `mutation($ids: [ID!]) { retryFailedNotifications(jobIds: $ids) }`,
      { ids: [failing.outboxId] },
      admin,
    );
    expect(retried.data?.retryFailedNotifications).toBe(1);
    await p.waitForStatus(failing.idempotencyKey, ['SENT']);
    expect(fakes.sms.calls.some((c) => c.form.Body === 'Review: REJECTED')).toBe(true);
  });
});
