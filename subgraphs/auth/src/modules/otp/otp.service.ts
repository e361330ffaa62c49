import { createHmac, randomInt, randomUUID, timingSafeEqual } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import { outbox } from '@hc/jobs';
import { OtpCode, OtpPurpose } from './otp.entity.js';
import { OtpChannel } from '../account/account.inputs.js';
import type { User } from '../user/user.entity.js';
import type { AuthSubgraphContext } from '../../context.js';

export const OTP_TTL_MINUTES = 10;
export const OTP_MAX_ATTEMPTS = 5;

/**
 * One-time codes: 6 digits from the CSPRNG, stored as HMAC-SHA256 under a server-side key (a
 * leaked table cannot be brute-forced offline over the 10^6 codes), 10 minutes, single use,
 * void after 5 wrong tries, bound to a purpose.
 */
export class OtpService {
  constructor(private readonly pepper: Buffer) {}

  private hash(userId: string, purpose: OtpPurpose, code: string): string {
    return createHmac('sha256', this.pepper).update(`${userId}:${purpose}:${code}`).digest('hex');
  }

  /** Voids the user's open codes of this purpose and adds a new one (in the caller's unit of work). */
  async issue(em: EntityManager, userId: string, purpose: OtpPurpose, channel: OtpChannel): Promise<string> {
    await em.nativeUpdate(OtpCode, { userId, purpose, consumedAt: null }, { consumedAt: new Date() });
    const code = randomInt(0, 1_000_000).toString().padStart(6, '0');
    const otp = new OtpCode();
    otp.userId = userId;
    otp.purpose = purpose;
    otp.channel = channel;
    otp.codeHash = this.hash(userId, purpose, code);
    otp.expiresAt = new Date(Date.now() + OTP_TTL_MINUTES * 60_000);
    em.persist(otp);
    return code;
  }

  /**
   * Checks a code and, when right, consumes it. Each try is counted atomically before the
   * comparison (a conditional UPDATE), so parallel guesses cannot exceed the 5 allowed; the
   * consume is conditional too, so a code is accepted once even under concurrency. Returns the
   * channel the code was sent on (the contact it proves), or null.
   */
  async consume(em: EntityManager, userId: string, purpose: OtpPurpose, code: string): Promise<OtpChannel | null> {
    const conn = em.getConnection();
    const trx = em.getTransactionContext();
    const rows = await conn.execute<{ id: string; code_hash: string; channel: OtpChannel }[]>(
      `update otp_codes set attempts = attempts + 1
        where id = (select id from otp_codes
                     where user_id = ? and purpose = ? and consumed_at is null
                     order by created_at desc limit 1)
          and consumed_at is null and attempts < ? and expires_at > now()
        returning id, code_hash, channel`,
      [userId, purpose, OTP_MAX_ATTEMPTS],
      'all',
      trx,
    );
    // HMAC even when there is no open code, so an unknown account costs the same.
    const given = Buffer.from(this.hash(userId, purpose, code), 'hex');
    const row = rows[0];
    if (!row) return null;
    const expected = Buffer.from(row.code_hash, 'hex');
    if (!/^\d{6}$/.test(code) || !timingSafeEqual(expected, given)) return null;
    const consumed = await conn.execute(
      `update otp_codes set consumed_at = now() where id = ? and consumed_at is null`,
      [row.id],
      'run',
      trx,
    );
    return (consumed as unknown as { affectedRows?: number }).affectedRows === 1 ? row.channel : null;
  }
}

/**
 * Issues a new code and queues its message for the user on the channel, both in `tx` (the
 * caller's transaction): the code exists exactly when its message is on the outbox. The code is
 * a secret variable (redacted from logs and records) and the message is security-critical
 * (sent regardless of the user's channel preferences).
 */
export async function sendOtp(
  ctx: AuthSubgraphContext,
  tx: EntityManager,
  user: User,
  channel: OtpChannel,
  purpose: OtpPurpose,
): Promise<void> {
  const code = await ctx.services.otp.issue(tx, user.id, purpose, channel);
  const verify = purpose === OtpPurpose.VERIFY;
  outbox.notify(tx, {
    idempotencyKey: `auth:otp:${user.id}:${randomUUID()}`,
    userId: user.id,
    template: verify ? 'auth.otp' : 'auth.password_reset',
    channel,
    variables: verify
      ? { code, expiresInMinutes: OTP_TTL_MINUTES, purpose: 'verify' }
      : { code, expiresInMinutes: OTP_TTL_MINUTES },
    secretVariables: ['code'],
    critical: true,
  });
}

/** `sendOtp` in a transaction of its own. */
export function sendOtpNow(ctx: AuthSubgraphContext, user: User, channel: OtpChannel, purpose: OtpPurpose): Promise<void> {
  return ctx.em.transactional((tx) => sendOtp(ctx, tx, user, channel, purpose));
}

/**
 * Checks and consumes a code in a transaction of its own: a wrong try is counted even when the
 * request then fails.
 */
export function verifyOtpNow(
  ctx: AuthSubgraphContext,
  userId: string,
  purpose: OtpPurpose,
  code: string,
): Promise<OtpChannel | null> {
  return ctx.em.transactional((tx) => ctx.services.otp.consume(tx, userId, purpose, code.trim()));
}

export { OtpPurpose, OtpChannel };
