import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { gql, startSupergraph, type TestSupergraph } from '@hc/testing';
import { createAdmin } from '../user/create-admin.js';
import { PasswordHasher } from '../password/password.js';
import { UNIFORM_ANSWER_MS } from './contact.js';
import {
  AUTH_TEST_ENV,
  LOGIN,
  REGISTER,
  VERIFY,
  createAccount,
  lastCode,
  lastNotification,
  uniqueEmail,
} from '../../../test/factories.js';
import { supergraph } from '../../../../../scripts/subgraphs.ts';

describe('accounts, OTP and login through the gateway', () => {
  let sg: TestSupergraph;
  beforeAll(async () => {
    sg = await startSupergraph(supergraph, { envFor: AUTH_TEST_ENV });
  });
  afterAll(async () => {
    await sg?.stop();
  });

  const register = (email: string, extra: Record<string, unknown> = {}) =>
    sg.query(REGISTER, { input: { name: 'Pat', email, password: 'long enough pw', role: 'PATIENT', ...extra } });

  it('registers, sends a hashed OTP, refuses login until verified, then verifies and signs in', async () => {
    const email = uniqueEmail('flow');
    const reg = await register(email.toUpperCase());
    expect(reg.errors).toBeUndefined();
    expect(reg.data!.register).toEqual({ otpChannel: 'EMAIL', otpDestination: `f***@example.com` });
    const stored = await sg.subgraphs.auth.orm.em.getConnection().execute(`select email from users where email = ?`, [email]);
    expect(stored).toHaveLength(1);

    const otp = await lastNotification(sg, email, 'auth.otp');
    expect(otp).toMatchObject({ variables: { expiresInMinutes: 10, purpose: 'verify' }, secretVariables: ['code'] });
    expect(String(otp!.variables.code)).toMatch(/^\d{6}$/);
    const [row] = await sg.subgraphs.auth.orm.em.getConnection().execute(`select code_hash from otp_codes limit 1`);
    expect(row.code_hash).not.toContain(String(otp!.variables.code));

    const early = await sg.query(LOGIN, { email, password: 'long enough pw' });
    expect(early.errors?.[0]?.extensions?.code).toBe('ACCOUNT_NOT_VERIFIED');
    expect(early.data).toBeNull();

    const verified = await sg.query(VERIFY, { email, code: String(otp!.variables.code) });
    expect(verified.errors).toBeUndefined();
    expect(verified.data!.verifyOtp.user).toMatchObject({ email, role: 'PATIENT', isVerified: true });
    const me = await sg.query('{ me { id email isVerified } }', {}, verified.data!.verifyOtp.accessToken);
    expect(me.data!.me).toMatchObject({ email, isVerified: true });

    const login = await sg.query(LOGIN, { email: email.toUpperCase(), password: 'long enough pw' });
    expect(login.errors).toBeUndefined();
    expect(login.data!.login.expiresIn).toBe(900);

    // user.changed on create and on verification, for the services that keep read copies.
    const events = await sg.subgraphs.auth.orm.em
      .getConnection()
      .execute(`select payload from outbox where topic = 'user.changed' and payload->>'email' = ? order by created_at`, [email]);
    expect(events.map((e) => (e as { payload: object }).payload)).toEqual([
      expect.objectContaining({ isVerified: false, role: 'PATIENT', phone: null }),
      expect.objectContaining({ isVerified: true }),
    ]);
  });

  it('refuses ADMIN registration, bad phones, and SMS without a phone; stores phones as E.164', async () => {
    const admin = await register(uniqueEmail(), { role: 'ADMIN' });
    expect(admin.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', fields: [{ field: 'role' }] });
    const badPhone = await register(uniqueEmail(), { phone: '12345' });
    expect(badPhone.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', fields: [{ field: 'phone' }] });
    const sms = await register(uniqueEmail(), { otpChannel: 'SMS' });
    expect(sms.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', fields: [{ field: 'phone' }] });
    const email = uniqueEmail();
    const ok = await register(email, { phone: '+20 100 123 4567', otpChannel: 'WHATSAPP' });
    expect(ok.errors).toBeUndefined();
    expect(ok.data!.register).toEqual({ otpChannel: 'WHATSAPP', otpDestination: '+20********67' });
    const [row] = await sg.subgraphs.auth.orm.em.getConnection().execute(`select phone from users where email = ?`, [email]);
    expect(row.phone).toBe('+201001234567');
  });

  it('rejects a 73-byte password sharing its first 72 bytes, with a message about bytes', async () => {
    const base = 'p'.repeat(70) + 'é'; // 72 bytes, 71 characters
    const account = await createAccount(sg, { password: base });
    const longer = await sg.query(LOGIN, { email: account.email, password: base + 'x' });
    expect(longer.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    const reg = await register(uniqueEmail(), { password: base + 'x' });
    expect(reg.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(reg.errors?.[0]?.extensions?.fields).toEqual([{ field: 'password', message: expect.stringMatching(/bytes/) }]);
    const short = await register(uniqueEmail(), { password: 'short' });
    expect(short.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
  });

  it('answers register, login and forgotPassword identically for known and unknown emails', async () => {
    const known = await createAccount(sg);
    const unknown = uniqueEmail('nobody');
    const strip = (r: { data?: unknown; errors?: unknown }) => JSON.stringify({ data: r.data, errors: r.errors });

    const regKnown = await register(known.email);
    const regUnknown = await register(unknown);
    expect(regKnown.data!.register.otpDestination).toMatch(/^p\*\*\*@example\.com$/);
    expect(regUnknown.data!.register.otpDestination).toMatch(/^n\*\*\*@example\.com$/);
    expect(regKnown.errors).toBeUndefined();
    expect(regUnknown.errors).toBeUndefined();
    // The owner of the existing account is told, instead of getting a code.
    expect(await lastNotification(sg, known.email, 'auth.account_exists')).not.toBeNull();

    const loginKnown = await sg.query(LOGIN, { email: known.email, password: 'wrong password!' });
    const loginUnknown = await sg.query(LOGIN, { email: uniqueEmail('ghost'), password: 'wrong password!' });
    expect(strip(loginKnown)).toBe(strip(loginUnknown));
    expect(loginKnown.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');

    const forgotKnown = await sg.query(`mutation($e: String!) { forgotPassword(email: $e) }`, { e: known.email });
    const forgotUnknown = await sg.query(`mutation($e: String!) { forgotPassword(email: $e) }`, { e: uniqueEmail('ghost') });
    expect(strip(forgotKnown)).toBe(strip(forgotUnknown));
    expect(forgotKnown.data).toEqual({ forgotPassword: true });
    expect(await lastNotification(sg, known.email, 'auth.password_reset')).not.toBeNull();
  });

  it('accepts an OTP once, rejects an expired one, and voids it after the 5th wrong try', async () => {
    const conn = sg.subgraphs.auth.orm.em.getConnection();
    // Reuse
    const reuse = await createAccount(sg);
    const reusedCode = await lastCode(sg, reuse.email);
    const again = await sg.query(VERIFY, { email: reuse.email, code: reusedCode });
    expect(again.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', fields: [{ field: 'code' }] });

    // Expiry
    const expiring = uniqueEmail('exp');
    await register(expiring);
    await conn.execute(
      `update otp_codes set expires_at = now() - interval '1 second' where user_id = (select id from users where email = ?)`,
      [expiring],
    );
    const expired = await sg.query(VERIFY, { email: expiring, code: await lastCode(sg, expiring) });
    expect(expired.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');

    // Five wrong tries, then even the right code fails.
    const guessed = uniqueEmail('guess');
    await register(guessed);
    const code = await lastCode(sg, guessed);
    const wrong = String((Number(code) + 1) % 1_000_000).padStart(6, '0');
    for (let i = 0; i < 5; i++) {
      const r = await sg.query(VERIFY, { email: guessed, code: wrong });
      expect(r.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    }
    const sixth = await sg.query(VERIFY, { email: guessed, code });
    expect(sixth.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');

    // A resent code works, and the old one is void.
    const resent = await sg.query(`mutation($e: String!) { resendOtp(email: $e) }`, { e: guessed });
    expect(resent.data).toEqual({ resendOtp: true });
    const fresh = await lastCode(sg, guessed);
    const ok = await sg.query(VERIFY, { email: guessed, code: fresh });
    expect(ok.errors).toBeUndefined();
  });

  it('keeps a code for its purpose: a reset code does not verify, a verify code does not reset', async () => {
    const email = uniqueEmail('purpose');
    await register(email);
    const verifyCode = await lastCode(sg, email);
    const reset = await sg.query(
      `mutation($e: String!, $c: String!) { resetPassword(email: $e, code: $c, newPassword: "another password") }`,
      {
        e: email,
        c: verifyCode,
      },
    );
    expect(reset.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    // Reset codes go only to a verified contact; its owner, signed in (so eligible to verify), cannot verify with one.
    const owner = await createAccount(sg);
    await sg.query(`mutation($e: String!) { forgotPassword(email: $e) }`, { e: owner.email });
    const resetCode = await lastCode(sg, owner.email, 'auth.password_reset');
    const verify = await sg.query(VERIFY, { email: owner.email, code: resetCode }, owner.accessToken);
    expect(verify.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
  });

  it('email ownership: an account verified by SMS does not own the email it registered with', async () => {
    const conn = sg.subgraphs.auth.orm.em.getConnection();
    const victimEmail = uniqueEmail('victim');
    const FORGOT = `mutation($e: String!) { forgotPassword(email: $e) }`;
    const RESEND = `mutation($e: String!, $c: OtpChannel) { resendOtp(email: $e, channel: $c) }`;
    /** Messages queued for the account, newest first, with the channel they go out on. */
    const messages = async (template: string): Promise<{ channel: string; code: string | null }[]> =>
      (await conn.execute(
        `select o.payload->>'channel' as channel, o.payload->'variables'->>'code' as code from outbox o
            join users u on u.id = (o.payload->>'userId')::uuid
           where o.topic = 'notification.send' and u.email = ? and o.payload->>'template' = ? order by o.created_at desc`,
        [victimEmail, template],
      )) as never;

    // The attack: someone else's email, the attacker's own phone, the code by SMS.
    const reg = await register(victimEmail, { phone: '+20 100 765 4321', otpChannel: 'SMS', password: 'attacker password' });
    expect(reg.errors).toBeUndefined();
    const [smsCode] = await messages('auth.otp');
    expect(smsCode.channel).toBe('SMS');
    const verified = await sg.query(VERIFY, { email: victimEmail, code: smsCode.code });
    expect(verified.data!.verifyOtp.user.isVerified).toBe(true); // the account may sign in...
    const token = verified.data!.verifyOtp.accessToken;
    const [row] = await conn.execute(`select email_verified_at, phone_verified_at from users where email = ?`, [victimEmail]);
    expect(row.email_verified_at).toBeNull(); // ...but it has not shown it owns the email
    expect(row.phone_verified_at).not.toBeNull();

    // No security message goes to the unproved email: the reset code goes to the proved phone...
    expect((await sg.query(FORGOT, { e: victimEmail })).data).toEqual({ forgotPassword: true });
    expect((await messages('auth.password_reset')).map((m) => m.channel)).toEqual(['SMS']);
    // ...the email owner trying to register hears nothing as if they held the account (its holder is told by SMS)...
    await register(victimEmail);
    expect((await messages('auth.account_exists')).map((m) => m.channel)).toEqual(['SMS']);
    // ...and a password change is announced on the phone.
    const changed = await sg.query(
      `mutation { changePassword(currentPassword: "attacker password", newPassword: "attacker password 2") }`,
      {},
      token,
    );
    expect(changed.data).toEqual({ changePassword: true });
    expect((await messages('auth.password_changed')).map((m) => m.channel)).toEqual(['SMS']);

    // Nobody but the signed-in account can ask for an email verification code for a verified account.
    expect((await sg.query(RESEND, { e: victimEmail, c: 'EMAIL' })).data).toEqual({ resendOtp: true });
    expect(await messages('auth.otp')).toHaveLength(1);

    // The normal path: the signed-in account verifies its email later with resendOtp/verifyOtp (channel EMAIL).
    const login = await sg.query(LOGIN, { email: victimEmail, password: 'attacker password 2' });
    const own = login.data!.login.accessToken;
    expect((await sg.query(RESEND, { e: victimEmail, c: 'EMAIL' }, own)).data).toEqual({ resendOtp: true });
    const [emailCode] = await messages('auth.otp');
    expect(emailCode.channel).toBe('EMAIL');
    // The code alone, without the account's sign-in, proves nothing (and is not burnt).
    const anonymous = await sg.query(VERIFY, { email: victimEmail, code: emailCode.code });
    expect(anonymous.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    const proved = await sg.query(VERIFY, { email: victimEmail, code: emailCode.code }, own);
    expect(proved.errors).toBeUndefined();
    const [after] = await conn.execute(`select email_verified_at from users where email = ?`, [victimEmail]);
    expect(after.email_verified_at).not.toBeNull();
    await sg.query(FORGOT, { e: victimEmail });
    expect((await messages('auth.password_reset')).map((m) => m.channel)).toEqual(['EMAIL', 'SMS']);
  });

  /**
   * Timing: each of the four operations runs 20 times for a known and 20 times for an unknown
   * email, the two side by side (so both see the same machine load), straight to auth from one
   * address (no gateway hop adding noise). Their answers are padded to UNIFORM_ANSWER_MS (250 ms);
   * the real work behind them is a lookup and a short transaction, a few ms when idle and tens
   * of ms on this loaded 2-core machine. Medians (not means: a single stall of the shared machine
   * would move a mean) must differ by less than 50 ms — a fifth of the floor, well above the
   * scheduler noise of two concurrent requests, and far below what the skipped work would show
   * once it grows past the floor.
   */
  it('enumeration: forgotPassword, resendOtp, verifyOtp and resetPassword answer byte-identically and in the same time', async () => {
    const verified = await Promise.all(Array.from({ length: 10 }, () => createAccount(sg)));
    const unverified = Array.from({ length: 10 }, () => uniqueEmail('unverified'));
    for (const email of unverified) expect((await register(email)).errors).toBeUndefined();
    const call = (query: string, variables: Record<string, unknown>) =>
      gql(sg.subgraphs.auth.graphqlUrl, query, variables, { signWith: sg.sharedSecret, client: '10.99.0.1' });
    const timed = async (query: string, variables: Record<string, unknown>) => {
      const started = performance.now();
      const r = await call(query, variables);
      return { ms: performance.now() - started, body: JSON.stringify({ data: r.data, errors: r.errors }) };
    };
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
    const operations: [string, string, (known: boolean, i: number) => Record<string, unknown>][] = [
      [
        'forgotPassword',
        `mutation($e: String!) { forgotPassword(email: $e) }`,
        (k, i) => ({ e: k ? verified[i % 10].email : uniqueEmail() }),
      ],
      ['resendOtp', `mutation($e: String!) { resendOtp(email: $e) }`, (k, i) => ({ e: k ? unverified[i % 10] : uniqueEmail() })],
      [
        'verifyOtp',
        `mutation($e: String!) { verifyOtp(email: $e, code: "000000") { accessToken } }`,
        (k, i) => ({ e: k ? unverified[i % 10] : uniqueEmail() }),
      ],
      [
        'resetPassword',
        `mutation($e: String!) { resetPassword(email: $e, code: "000000", newPassword: "new password 1") }`,
        (k, i) => ({ e: k ? verified[i % 10].email : uniqueEmail() }),
      ],
    ];
    const report: Record<string, { known: number; unknown: number }> = {};
    for (const [name, query, vars] of operations) {
      const known: number[] = [];
      const unknown: number[] = [];
      for (let i = 0; i < 20; i++) {
        const [k, u] = await Promise.all([timed(query, vars(true, i)), timed(query, vars(false, i))]);
        expect(k.body).toBe(u.body);
        known.push(k.ms);
        unknown.push(u.ms);
      }
      report[name] = { known: Math.round(median(known)), unknown: Math.round(median(unknown)) };
      // Both sides are padded (this is what makes the comparison hold on an idle machine too, where
      // the skipped work is only a few ms)...
      expect(Math.min(...known, ...unknown)).toBeGreaterThanOrEqual(UNIFORM_ANSWER_MS);
      // ...and the padding is not swamped by the work it hides.
      expect(Math.abs(median(known) - median(unknown))).toBeLessThan(50);
    }
    // The known side did the real work (codes were sent), so the test measured what it claims to.
    expect(await lastNotification(sg, verified[0].email, 'auth.password_reset')).not.toBeNull();
    console.info(`median ms known/unknown: ${JSON.stringify(report)}`);
  });

  it('creates admins only through the operator command path; they sign in with role ADMIN', async () => {
    const email = uniqueEmail('admin');
    await createAdmin(sg.subgraphs.auth.orm.em.fork(), new PasswordHasher(10), {
      email,
      name: 'Ada',
      password: 'admin password 1',
    });
    const login = await sg.query(LOGIN, { email, password: 'admin password 1' });
    expect(login.errors).toBeUndefined();
    const users = await sg.query(`{ users(role: ADMIN) { totalCount nodes { email role } } }`, {}, login.data!.login.accessToken);
    expect(users.data!.users).toEqual({ totalCount: 1, nodes: [{ email, role: 'ADMIN' }] });
    await expect(
      createAdmin(sg.subgraphs.auth.orm.em.fork(), new PasswordHasher(10), {
        email,
        name: 'Again',
        password: 'admin password 1',
      }),
    ).rejects.toThrow(/already exists/);
  });

  it('holds its invariants under concurrency: one account per email, at most 5 OTP tries', async () => {
    const email = uniqueEmail('race');
    const answers = await Promise.all(Array.from({ length: 5 }, () => register(email)));
    for (const a of answers) expect(a).toMatchObject({ data: { register: { otpChannel: 'EMAIL' } } });
    expect(answers.every((a) => a.errors === undefined)).toBe(true);
    const conn = sg.subgraphs.auth.orm.em.getConnection();
    expect(await conn.execute(`select id from users where email = ?`, [email])).toHaveLength(1);

    const code = await lastCode(sg, email);
    const wrong = String((Number(code) + 7) % 1_000_000).padStart(6, '0');
    await Promise.all(Array.from({ length: 12 }, () => sg.query(VERIFY, { email, code: wrong })));
    const [otp] = await conn.execute(
      `select attempts from otp_codes where user_id = (select id from users where email = ?) and consumed_at is null`,
      [email],
    );
    expect(otp.attempts).toBe(5);
    // The right code is refused now (by the voided OTP, or the per-account limit the guesses used up).
    const late = await sg.query(VERIFY, { email, code });
    expect(['BAD_USER_INPUT', 'RATE_LIMITED']).toContain(late.errors?.[0]?.extensions?.code);
  });
});
