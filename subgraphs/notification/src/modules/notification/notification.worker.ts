import { randomUUID } from 'node:crypto';
import { DelayedError, UnrecoverableError, type Job, type Queue } from 'bullmq';
import { parsePhoneNumberFromString } from 'libphonenumber-js';
import type { MikroORM } from '@mikro-orm/postgresql';
import type { Logger } from '@hc/logger';
import { REDACTED, redactSecrets, type NotificationJobData, type NotificationReschedule } from '@hc/jobs';
import { Contact } from '../contact/contact.entity.js';
import { channelEnabled, defaultPreferences, NotificationPreferences } from '../preference/preference.entity.js';
import { NotificationChannel, NotificationTemplate } from '../template/template.entity.js';
import { renderTemplate, TemplateError } from '../template/template.render.js';
import {
  maskEmail,
  maskPhone,
  PermanentProviderError,
  TransientProviderError,
  type Provider,
  type ProviderResult,
} from '../providers/index.js';
import { PushSubscription } from '../push/push.entity.js';
import type { RenderedMessage } from '../template/template.render.js';
import { Notification, NotificationStatus } from './notification.entity.js';
import { scrubRecipients } from './scrub.js';

/** Security messages: sent whatever the user's opt-outs (also when a producer forgets `critical`). */
export const CRITICAL_TEMPLATES = new Set(['auth.otp', 'auth.password_reset', 'auth.password_changed', 'auth.account_exists']);

export interface DeliveryOptions {
  orm: MikroORM;
  providers: Record<NotificationChannel, Provider>;
  logger: Logger;
  /** Attempts before a transient failure is final (JOB_ATTEMPTS). */
  attempts: number;
  /**
   * How long a worker owns a message while sending. Another job for the same key waits this
   * long; the same job re-run after its worker died (BullMQ stall) may take over at once.
   */
  leaseMs: number;
  /** The notifications queue, to move or cancel delayed jobs. */
  queue: Queue;
}

type Outcome = { status: NotificationStatus; duplicate?: boolean; reason?: string };

const FINAL = new Set([
  NotificationStatus.SENT,
  NotificationStatus.DELIVERED,
  NotificationStatus.FAILED,
  NotificationStatus.SKIPPED,
]);

/** Messages stored in history and logs: first line, bounded. */
const reasonOf = (error: unknown) =>
  scrubRecipients(
    String((error as Error)?.message ?? error)
      .split('\n')[0]!
      .slice(0, 500),
  );

/**
 * The notification worker's job processor (`notification.send`, `notification.reschedule`).
 *
 * Exactly-once towards the user as far as possible: the delivery row (unique idempotency key)
 * is claimed with a conditional UPDATE before the provider call and marked SENT after it. A
 * worker that dies between the provider accepting the message and that mark leaves the row
 * QUEUED; the job is re-run after BullMQ's stall check and sends once more. That is the one
 * duplicate window (docs/notifications.md).
 */
export class DeliveryProcessor {
  constructor(private readonly options: DeliveryOptions) {}

  process = async (job: Job, token?: string): Promise<Outcome | string> => {
    if (job.name === 'notification.reschedule') return this.reschedule(job as Job<NotificationReschedule>);
    if (job.name === 'notification.send') return this.send(job as Job<NotificationJobData>, token);
    throw new UnrecoverableError(`unknown job ${job.name}`);
  };

  private async send(job: Job<NotificationJobData>, token?: string): Promise<Outcome> {
    const data = job.data;
    if (!data?.idempotencyKey || !data.userId || !data.template)
      throw new UnrecoverableError('malformed notification.send job (idempotencyKey, userId, template)');
    const em = this.options.orm.em.fork();
    const conn = em.getConnection();
    await conn.execute(
      `insert into notifications (id, idempotency_key, outbox_id, job_id, user_id, template, channel, send_at, request)
       values (?, ?, ?, ?, ?, ?, ?, ?, ?) on conflict (idempotency_key) do nothing`,
      [
        randomUUID(),
        data.idempotencyKey,
        data.outboxId ?? null,
        job.id ?? null,
        data.userId,
        data.template,
        data.channel ?? NotificationChannel.EMAIL,
        data.sendAt ?? null,
        JSON.stringify(redactSecrets(data)),
      ],
      'run',
    );
    let record = await em.findOneOrFail(Notification, { idempotencyKey: data.idempotencyKey });
    if (FINAL.has(record.status)) {
      await this.redact(job);
      return { status: record.status, duplicate: true };
    }

    // Scheduled: honour the latest cancel/move for this key, then wait in BullMQ's delayed set.
    const [change] = await conn.execute<{ send_at: Date | string | null; cancelled: boolean }[]>(
      `select send_at, cancelled from notification_schedule_changes where idempotency_key = ?`,
      [data.idempotencyKey],
    );
    if (change?.cancelled || record.cancelled) return this.finish(job, record, NotificationStatus.SKIPPED, 'cancelled');
    const dueAt = change?.send_at ?? record.sendAt ?? data.sendAt ?? null;
    const due = dueAt ? new Date(dueAt) : null;
    if (due && due.getTime() > Date.now() + 250) {
      if (!record.jobId) await conn.execute(`update notifications set job_id = ? where id = ?`, [job.id, record.id], 'run');
      await job.moveToDelayed(due.getTime(), token);
      throw new DelayedError();
    }

    // Claim: only while QUEUED, and not while another job is mid-send for the same key.
    const claimed = await conn.execute<{ attempts: number }[]>(
      `update notifications set attempts = attempts + 1, lease_job_id = ?, lease_until = now() + (? * interval '1 millisecond'),
         updated_at = now()
       where id = ? and status = 'QUEUED' and not cancelled
         and (lease_job_id is null or lease_job_id = ? or lease_until < now())
       returning attempts`,
      [job.id, this.options.leaseMs, record.id, job.id],
    );
    if (claimed.length === 0) {
      record = await em.fork().findOneOrFail(Notification, { id: record.id });
      if (FINAL.has(record.status)) {
        await this.redact(job);
        return { status: record.status, duplicate: true };
      }
      throw new Error('another job is sending this message; retrying later');
    }

    try {
      return await this.deliver(job, record);
    } catch (error) {
      if (error instanceof DelayedError) throw error;
      const permanent =
        error instanceof PermanentProviderError || error instanceof TemplateError || error instanceof UnrecoverableError;
      const last = permanent || job.attemptsMade + 1 >= this.options.attempts;
      const reason = reasonOf(error);
      await conn.execute(
        `update notifications set status = ?, error_message = ?, lease_job_id = null, lease_until = null, updated_at = now(),
           request = case when ? then null else request end
         where id = ? and status = 'QUEUED'`,
        [last ? NotificationStatus.FAILED : NotificationStatus.QUEUED, reason, last, record.id],
        'run',
      );
      if (last) {
        await this.redact(job);
        throw new UnrecoverableError(reason);
      }
      throw new Error(reason, { cause: error });
    }
  }

  private async deliver(job: Job<NotificationJobData>, record: Notification): Promise<Outcome> {
    const data = job.data;
    const em = this.options.orm.em.fork();
    const contact = await em.findOne(Contact, { userId: data.userId });
    // The user.changed event may still be on its way: retry, then fail after the last attempt.
    if (!contact) throw new Error('recipient unknown: no contact details received for this user yet');
    const prefs = (await em.findOne(NotificationPreferences, { userId: data.userId })) ?? defaultPreferences(data.userId);
    const critical = data.critical === true || CRITICAL_TEMPLATES.has(data.template);

    // PUSH goes to every browser the user subscribed; it is used when named or preferred, never as a fallback.
    const wantsPush =
      data.channel === NotificationChannel.PUSH || (!data.channel && prefs.preferredChannel === NotificationChannel.PUSH);
    const subscriptions = wantsPush ? await em.find(PushSubscription, { userId: data.userId }, { orderBy: { id: 'asc' } }) : [];
    const addressOf = (c: NotificationChannel) =>
      c === NotificationChannel.EMAIL
        ? contact.email
        : c === NotificationChannel.PUSH
          ? subscriptions.length > 0
            ? data.userId
            : null
          : (contact.phone ?? null);
    let channel: NotificationChannel | undefined;
    if (data.channel) {
      channel = data.channel as NotificationChannel;
      if (!critical && !channelEnabled(prefs, channel))
        return this.finish(job, record, NotificationStatus.SKIPPED, `opted out of ${channel}`, channel);
    } else {
      const order = [prefs.preferredChannel, NotificationChannel.EMAIL, NotificationChannel.WHATSAPP, NotificationChannel.SMS];
      channel = order.find((c): c is NotificationChannel => !!c && (critical || channelEnabled(prefs, c)) && !!addressOf(c));
      if (!channel) return this.finish(job, record, NotificationStatus.SKIPPED, 'opted out of every channel');
    }

    let to = addressOf(channel);
    if (!to)
      throw new PermanentProviderError(
        `user has no ${channel === NotificationChannel.EMAIL ? 'email' : channel === NotificationChannel.PUSH ? 'push subscription' : 'phone number'}`,
      );
    if (channel === NotificationChannel.WHATSAPP || channel === NotificationChannel.SMS) {
      const phone = parsePhoneNumberFromString(to);
      if (!phone?.isValid()) throw new PermanentProviderError('invalid phone number');
      to = phone.number;
    }
    const destination =
      channel === NotificationChannel.EMAIL
        ? maskEmail(to)
        : channel === NotificationChannel.PUSH
          ? `${subscriptions.length} browser(s)`
          : maskPhone(to);
    await em
      .getConnection()
      .execute(`update notifications set channel = ?, destination = ? where id = ?`, [channel, destination, record.id], 'run');

    const template = await em.findOne(NotificationTemplate, { name: data.template, channel, isActive: true });
    if (!template) throw new PermanentProviderError(`no active template "${data.template}" for ${channel}`);
    if (data.secretVariables?.some((name) => data.variables?.[name] === REDACTED))
      throw new PermanentProviderError('secret variables were already redacted (final failure earlier); request a new code');
    const rendered = renderTemplate(template, data.variables ?? {}, contact.name);

    const result =
      channel === NotificationChannel.PUSH
        ? await this.pushToAll(subscriptions, rendered, record.id)
        : await this.options.providers[channel].send({
            to,
            subject: rendered.subject,
            html: channel === NotificationChannel.EMAIL ? rendered.body : undefined,
            text: rendered.text,
            reference: record.id,
          });
    // ← a crash here (provider accepted, row still QUEUED) is the documented duplicate window.
    await em.getConnection().execute(
      `update notifications set status = 'SENT', sent_at = now(), provider_message_id = ?, error_message = null,
         lease_job_id = null, lease_until = null, updated_at = now(), request = null
       where id = ?`,
      [result.providerMessageId ?? null, record.id],
      'run',
    );
    await this.redact(job);
    this.options.logger.info(
      { notificationId: record.id, template: data.template, channel, attempt: job.attemptsMade + 1 },
      'notification sent',
    );
    return { status: NotificationStatus.SENT };
  }

  /**
   * Sends one message to each of the user's browsers. Subscriptions the push service no longer
   * knows (404/410) are deleted. Sent to at least one: SENT (a browser that failed transiently
   * misses this message, so a retry never repeats it to the others). Sent to none: the first
   * transient error retries the message, else it fails for good.
   */
  private async pushToAll(
    subscriptions: PushSubscription[],
    rendered: RenderedMessage,
    reference: string,
  ): Promise<ProviderResult> {
    const provider = this.options.providers[NotificationChannel.PUSH];
    const outcomes = await Promise.allSettled(
      subscriptions.map((s) =>
        provider.send({
          to: s.endpoint,
          push: { p256dh: s.p256dh, auth: s.auth },
          subject: rendered.subject,
          text: rendered.text,
          reference,
        }),
      ),
    );
    const conn = this.options.orm.em.fork().getConnection();
    let sent = 0;
    const errors: unknown[] = [];
    for (const [i, outcome] of outcomes.entries()) {
      const s = subscriptions[i]!;
      if (outcome.status === 'rejected') errors.push(outcome.reason);
      // Unless the browser subscribed again meanwhile (a new subscription has new keys).
      else if (outcome.value.gone)
        await conn.execute(
          `delete from push_subscriptions where id = ? and p256dh = ? and auth = ?`,
          [s.id, s.p256dh, s.auth],
          'run',
        );
      else sent++;
    }
    if (errors.length > 0)
      this.options.logger.warn(
        { notificationId: reference, failed: errors.length, sent, error: reasonOf(errors[0]) },
        'push: some browsers failed',
      );
    if (sent > 0) return { providerMessageId: `push:${sent}/${subscriptions.length}` };
    if (errors.length === 0) throw new PermanentProviderError('every push subscription of the user has expired');
    throw errors.find((e) => e instanceof TransientProviderError) ?? errors[0];
  }

  private async finish(
    job: Job<NotificationJobData>,
    record: Notification,
    status: NotificationStatus,
    reason: string,
    channel?: NotificationChannel,
  ): Promise<Outcome> {
    await this.options.orm.em
      .fork()
      .getConnection()
      .execute(
        `update notifications set status = ?, error_message = ?, channel = coalesce(?, channel), lease_job_id = null,
           lease_until = null, updated_at = now(), request = null where id = ? and status = 'QUEUED'`,
        [status, reason, channel ?? null, record.id],
        'run',
      );
    await this.redact(job);
    return { status, reason };
  }

  /** Secret variables leave the job data once they are no longer needed. */
  private async redact(job: Job<NotificationJobData>) {
    if (!job.data.secretVariables?.length) return;
    const redacted = redactSecrets(job.data);
    if (redacted !== job.data) await job.updateData(redacted).catch(() => undefined);
  }

  /** Cancels (no sendAt) or moves a scheduled message by its key; the latest change wins. */
  private async reschedule(job: Job<NotificationReschedule>): Promise<string> {
    const { idempotencyKey, sendAt } = job.data;
    if (!idempotencyKey || (sendAt !== undefined && sendAt !== null && Number.isNaN(Date.parse(sendAt))))
      throw new UnrecoverableError('malformed notification.reschedule job');
    const conn = this.options.orm.em.fork().getConnection();
    const changedAt = new Date(job.timestamp);
    const cancel = !sendAt;
    const applied = await conn.execute<{ idempotency_key: string }[]>(
      `insert into notification_schedule_changes (idempotency_key, send_at, cancelled, changed_at) values (?, ?, ?, ?)
       on conflict (idempotency_key) do update set send_at = excluded.send_at, cancelled = excluded.cancelled,
         changed_at = excluded.changed_at
       where notification_schedule_changes.changed_at <= excluded.changed_at
       returning idempotency_key`,
      [idempotencyKey, sendAt ?? null, cancel, changedAt],
    );
    if (applied.length === 0) return 'stale';
    const [row] = await conn.execute<{ id: string; job_id: string | null }[]>(
      cancel
        ? `update notifications set cancelled = true, status = 'SKIPPED', error_message = 'cancelled', updated_at = now(), request = null
           where idempotency_key = ? and status = 'QUEUED' and (lease_until is null or lease_until < now()) returning id, job_id`
        : `update notifications set send_at = ?, updated_at = now() where idempotency_key = ? and status = 'QUEUED'
           returning id, job_id`,
      cancel ? [idempotencyKey] : [sendAt, idempotencyKey],
    );
    if (!row?.job_id) return 'recorded';
    // The delayed job re-reads the change when it wakes; moving it only makes "earlier" work.
    const delayed = await this.options.queue.getJob(row.job_id);
    if (delayed && (await delayed.isDelayed())) {
      if (cancel) await delayed.remove().catch(() => undefined);
      else await delayed.changeDelay(Math.max(0, Date.parse(sendAt!) - Date.now())).catch(() => undefined);
    }
    return cancel ? 'cancelled' : 'moved';
  }
}

/** Exponential backoff with jitter from JOB_BACKOFF_MS, capped at 10 minutes. */
export const notificationBackoff = (baseMs: number) => (attemptsMade: number) => {
  const exp = baseMs * 2 ** Math.max(0, attemptsMade - 1);
  return Math.min(Math.round(exp * (0.8 + Math.random() * 0.4)), 10 * 60_000);
};
