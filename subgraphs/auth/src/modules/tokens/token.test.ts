import { generateKeyPairSync } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import jwt from 'jsonwebtoken';
import { startSupergraph, type TestSupergraph } from '@hc/testing';
import { AUTH_TEST_ENV, LOGIN, REFRESH, createAccount, lastCode } from '../../../test/factories.js';
import { supergraph } from '../../../../../scripts/subgraphs.ts';

const ME = '{ me { id } }';

describe('access and refresh tokens through the gateway', () => {
  let sg: TestSupergraph;
  beforeAll(async () => {
    sg = await startSupergraph(supergraph, { envFor: AUTH_TEST_ENV });
  });
  afterAll(async () => {
    await sg?.stop();
  });

  /** Asserts the gateway refuses the token: UNAUTHENTICATED with HTTP 401. */
  const expectRefused = async (token: string) => {
    const res = await sg.query(ME, {}, token);
    expect(res.status).toBe(401);
    expect(res.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
  };

  it('issues an RS256 access token with the promised claims, listed key id and 15 min expiry', async () => {
    const account = await createAccount(sg);
    const decoded = jwt.decode(account.accessToken, { complete: true })!;
    expect(decoded.header).toMatchObject({ alg: 'RS256', kid: sg.keys.kid });
    const claims = decoded.payload as jwt.JwtPayload;
    expect(claims).toMatchObject({
      sub: account.id,
      role: 'PATIENT',
      email: account.email,
      typ: 'access',
      iss: sg.keys.issuer,
      aud: sg.keys.audience,
    });
    expect(claims.exp! - claims.iat!).toBe(900);
    const jwks = (await (await fetch(`${sg.subgraphs.auth.server.url}/.well-known/jwks.json`)).json()) as {
      keys: { kid: string }[];
    };
    expect(jwks.keys.map((k: { kid: string }) => k.kid)).toContain(sg.keys.kid);
    expect(JSON.stringify(jwks)).not.toMatch(/"d"|"p"|"q"/);
    expect((await sg.query(ME, {}, account.accessToken)).data!.me).toEqual({ id: account.id });
  });

  it('refuses alg none, HS256 signed with the public key, wrong audience/issuer, expiry and a refresh token', async () => {
    const account = await createAccount(sg);
    const claims = { sub: account.id, role: 'ADMIN', email: account.email, typ: 'access' };
    const none = [
      Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT', kid: sg.keys.kid })).toString('base64url'),
      Buffer.from(
        JSON.stringify({ ...claims, iss: sg.keys.issuer, aud: sg.keys.audience, exp: Math.floor(Date.now() / 1000) + 60 }),
      ).toString('base64url'),
      '',
    ].join('.');
    await expectRefused(none);

    const publicPem = (await (await fetch(`${sg.subgraphs.auth.server.url}/.well-known/jwks.json`)).json()) as {
      keys: object[];
    };
    const { createPublicKey } = await import('node:crypto');
    const pem = createPublicKey({ key: publicPem.keys[0] as never, format: 'jwk' }).export({ format: 'pem', type: 'spki' });
    const hs = jwt.sign(claims, Buffer.from(pem), {
      algorithm: 'HS256',
      keyid: sg.keys.kid,
      issuer: sg.keys.issuer,
      audience: sg.keys.audience,
      expiresIn: 60,
    });
    await expectRefused(hs);

    const sign = (options: jwt.SignOptions, payload: object = claims) =>
      jwt.sign(payload, sg.keys.privateKey, {
        algorithm: 'RS256',
        keyid: sg.keys.kid,
        issuer: sg.keys.issuer,
        audience: sg.keys.audience,
        expiresIn: 60,
        ...options,
      });
    await expectRefused(sign({ audience: 'another-api' }));
    await expectRefused(sign({ issuer: 'someone-else' }));
    await expectRefused(sign({ expiresIn: -30 }));
    const otherKey = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
    await expectRefused(
      jwt.sign(claims, otherKey, { algorithm: 'RS256', keyid: sg.keys.kid, issuer: sg.keys.issuer, audience: sg.keys.audience }),
    );

    // The opaque refresh token, and a JWT typed "refresh", are not access tokens.
    await expectRefused(account.refreshToken);
    await expectRefused(sign({}, { ...claims, typ: 'refresh' }));
  });

  it('rotates refresh tokens; reusing a spent one revokes the whole family, the newest token too', async () => {
    const account = await createAccount(sg);
    const first = await sg.query(REFRESH, { token: account.refreshToken });
    expect(first.errors).toBeUndefined();
    const second = first.data!.refreshToken.refreshToken;
    expect(second).not.toBe(account.refreshToken);
    const third = (await sg.query(REFRESH, { token: second })).data!.refreshToken.refreshToken;

    // An attacker replays the spent first token.
    const replay = await sg.query(REFRESH, { token: account.refreshToken });
    expect(replay.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    const newest = await sg.query(REFRESH, { token: third });
    expect(newest.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');

    // Another session (a separate login) is untouched.
    const other = await sg.query(LOGIN, { email: account.email, password: account.password });
    expect((await sg.query(REFRESH, { token: other.data!.login.refreshToken })).errors).toBeUndefined();
  });

  it('lets only one of two concurrent uses of a refresh token succeed, and then revokes the family', async () => {
    const account = await createAccount(sg);
    const results = await Promise.all([1, 2, 3].map(() => sg.query(REFRESH, { token: account.refreshToken })));
    const ok = results.filter((r) => !r.errors);
    expect(ok).toHaveLength(1);
    const winner = ok[0].data!.refreshToken.refreshToken;
    expect((await sg.query(REFRESH, { token: winner })).errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
  });

  it('logout revokes the refresh token; reusing it fails', async () => {
    const account = await createAccount(sg);
    const out = await sg.query(`mutation($t: String!) { logout(refreshToken: $t) }`, { t: account.refreshToken });
    expect(out.data).toEqual({ logout: true });
    const reuse = await sg.query(REFRESH, { token: account.refreshToken });
    expect(reuse.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
  });

  it('enforces idle and absolute expiry of refresh tokens', async () => {
    for (const column of ['idle_expires_at', 'family_expires_at']) {
      const account = await createAccount(sg);
      await sg.subgraphs.auth.orm.em
        .getConnection()
        .execute(`update refresh_tokens set ${column} = now() - interval '1 second' where user_id = ?`, [account.id]);
      expect((await sg.query(REFRESH, { token: account.refreshToken })).errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    }
  });

  it('password change kills outstanding access tokens (gateway and subgraphs) and every refresh family', async () => {
    const account = await createAccount(sg);
    const second = await sg.query(LOGIN, { email: account.email, password: account.password });
    const change = await sg.query(
      `mutation { changePassword(currentPassword: "${account.password}", newPassword: "brand new password") }`,
      {},
      account.accessToken,
    );
    expect(change.errors).toBeUndefined();
    await expectRefused(account.accessToken);
    await expectRefused(second.data!.login.accessToken);
    // Verified again by a subgraph other than auth (shared verifier + revocation marker).
    const direct = await sg.subgraphQuery('doctor', '{ __typename }', {}, account.accessToken);
    expect(direct.status).toBe(401);
    expect(direct.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    expect(direct.errors?.[0]?.extensions?.reason).toBeUndefined(); // the token, not the gateway signature
    for (const token of [account.refreshToken, second.data!.login.refreshToken]) {
      expect((await sg.query(REFRESH, { token })).errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    }
    // Old password refused; new one works and its token is accepted straight away.
    expect((await sg.query(LOGIN, { email: account.email, password: account.password })).errors).toBeDefined();
    const fresh = await sg.query(LOGIN, { email: account.email, password: 'brand new password' });
    expect(fresh.errors).toBeUndefined();
    expect((await sg.query(ME, {}, fresh.data!.login.accessToken)).data!.me).toEqual({ id: account.id });
  });

  it('password reset with the emailed code also kills old tokens; a wrong current password is refused', async () => {
    const account = await createAccount(sg);
    const wrong = await sg.query(
      `mutation { changePassword(currentPassword: "not my password", newPassword: "brand new password") }`,
      {},
      account.accessToken,
    );
    expect(wrong.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', fields: [{ field: 'currentPassword' }] });
    await sg.query(`mutation($e: String!) { forgotPassword(email: $e) }`, { e: account.email });
    const code = await lastCode(sg, account.email, 'auth.password_reset');
    const reset = await sg.query(
      `mutation($e: String!, $c: String!) { resetPassword(email: $e, code: $c, newPassword: "reset password 1") }`,
      { e: account.email, c: code },
    );
    expect(reset.errors).toBeUndefined();
    await expectRefused(account.accessToken);
    expect((await sg.query(LOGIN, { email: account.email, password: 'reset password 1' })).errors).toBeUndefined();
    const again = await sg.query(
      `mutation($e: String!, $c: String!) { resetPassword(email: $e, code: $c, newPassword: "reset password 2") }`,
      { e: account.email, c: code },
    );
    expect(again.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    const [notice] = await sg.subgraphs.auth.orm.em
      .getConnection()
      .execute(`select payload from outbox where payload->>'template' = 'auth.password_changed' and payload->>'userId' = ?`, [
        account.id,
      ]);
    expect(notice.payload.variables.changedAt).toEqual(expect.any(String));
  });

  it('answers signed-in-only operations without a token with UNAUTHENTICATED', async () => {
    for (const op of [
      `mutation { changePassword(currentPassword: "whatever 1", newPassword: "whatever 2") }`,
      `mutation { updateProfile(input: { name: "x" }) { id } }`,
      `{ users { totalCount } }`,
    ]) {
      const res = await sg.query(op);
      expect(res.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    }
    expect((await sg.query(ME)).data).toEqual({ me: null });
  });
});
