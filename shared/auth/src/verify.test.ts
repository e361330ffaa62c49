import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it, jest } from '@jest/globals';
import jwt from 'jsonwebtoken';
import {
  AuthError,
  AuthUnavailableError,
  bearerToken,
  createTokenVerifier,
  keyId,
  StaticKeyResolver,
  toPublicJwk,
  type AuthUser,
  type KeyResolver,
} from './index.js';

const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const kid = keyId(privateKey);
const verify = createTokenVerifier({
  keys: new StaticKeyResolver([toPublicJwk(privateKey, kid)]),
  issuer: 'iss',
  audience: 'aud',
});
const claims = { sub: randomUUID(), role: 'PATIENT', email: 'p@x.io', typ: 'access' };
const sign = (payload: object = claims, options: jwt.SignOptions = {}) =>
  jwt.sign(payload, privateKey, { algorithm: 'RS256', keyid: kid, issuer: 'iss', audience: 'aud', expiresIn: 60, ...options });

describe('createTokenVerifier', () => {
  it('accepts a valid access token', async () => {
    await expect(verify(sign())).resolves.toMatchObject({ id: claims.sub, role: 'PATIENT', email: 'p@x.io' });
  });

  it('rejects alg none', async () => {
    const header = Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT', kid })).toString('base64url');
    const body = Buffer.from(JSON.stringify({ ...claims, iss: 'iss', aud: 'aud', exp: Date.now() / 1000 + 60 })).toString(
      'base64url',
    );
    await expect(verify(`${header}.${body}.`)).rejects.toBeInstanceOf(AuthError);
  });

  it('rejects HS256 signed with the public key', async () => {
    const pem = publicKey.export({ format: 'pem', type: 'spki' }).toString();
    const forged = jwt.sign(claims, Buffer.from(pem), { algorithm: 'HS256', keyid: kid, issuer: 'iss', audience: 'aud' });
    await expect(verify(forged)).rejects.toBeInstanceOf(AuthError);
  });

  it('rejects wrong audience, wrong issuer, expiry, unknown kid and a refresh-typed token', async () => {
    await expect(verify(sign(claims, { audience: 'other' }))).rejects.toBeInstanceOf(AuthError);
    await expect(verify(sign(claims, { issuer: 'other' }))).rejects.toBeInstanceOf(AuthError);
    await expect(verify(sign(claims, { expiresIn: -60 }))).rejects.toBeInstanceOf(AuthError);
    await expect(verify(sign(claims, { keyid: 'nope' }))).rejects.toBeInstanceOf(AuthError);
    await expect(verify(sign({ ...claims, typ: 'refresh' }))).rejects.toBeInstanceOf(AuthError);
    await expect(verify(sign({ ...claims, role: 'ROOT' }))).rejects.toBeInstanceOf(AuthError);
  });

  it('rejects a token signed by another key that claims our kid', async () => {
    const other = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
    const forged = jwt.sign(claims, other, { algorithm: 'RS256', keyid: kid, issuer: 'iss', audience: 'aud' });
    await expect(verify(forged)).rejects.toBeInstanceOf(AuthError);
  });
});

describe('createTokenVerifier: verified-token cache', () => {
  const jwk = toPublicJwk(privateKey, kid);
  const staticKeys = new StaticKeyResolver([jwk]);
  /** A key source whose key can be swapped for an equal copy (a JWKS refresh) or removed. */
  const swappable = () => {
    let current: Awaited<ReturnType<KeyResolver['getKey']>> = undefined;
    const source = {
      async getKey(k: string) {
        return k === kid ? current : undefined;
      },
      async load() {
        current = await new StaticKeyResolver([jwk]).getKey(kid);
      },
      drop() {
        current = undefined;
      },
    };
    return source;
  };
  const signatureChecks = () => jest.spyOn(jwt, 'verify');
  afterEach(() => {
    jest.restoreAllMocks();
    jest.useRealTimers();
  });

  it('checks the signature of a token once, then answers it from memory', async () => {
    const v = createTokenVerifier({ keys: staticKeys, issuer: 'iss', audience: 'aud' });
    const spy = signatureChecks();
    const token = sign();
    const first = await v(token);
    const second = await v(token);
    expect(second).toEqual(first);
    expect(spy).toHaveBeenCalledTimes(1);
  });

  it('answers each token with its own caller, and a caller changed by one request does not reach the next', async () => {
    const v = createTokenVerifier({ keys: staticKeys, issuer: 'iss', audience: 'aud' });
    const a = sign({ ...claims, sub: randomUUID() });
    const b = sign({ ...claims, sub: randomUUID(), role: 'DOCTOR' });
    const userA = await v(a);
    const userB = await v(b);
    expect(userA.id).not.toBe(userB.id);
    (userA as { role: string }).role = 'ADMIN';
    expect(await v(a)).toMatchObject({ id: userA.id, role: 'PATIENT' });
    expect(await v(b)).toMatchObject({ id: userB.id, role: 'DOCTOR' });
    // A token that differs by one character is a different token: it gets the full check (and fails).
    await expect(v(`${a.slice(0, -2)}${a.at(-2) === 'A' ? 'B' : 'A'}${a.at(-1)}`)).rejects.toBeInstanceOf(AuthError);
  });

  it('checks revocation on every use: a marker refuses a remembered token from the next request on', async () => {
    const revoked = new Map<string, number>();
    let synced = true;
    const revocation = {
      isRevoked: (user: AuthUser) => {
        if (!synced) throw new AuthUnavailableError();
        const after = revoked.get(user.id);
        return after !== undefined && user.issuedAt < after;
      },
    };
    const v = createTokenVerifier({ keys: staticKeys, issuer: 'iss', audience: 'aud', revocation });
    const spy = signatureChecks();
    const token = sign(claims, { expiresIn: 600 });
    await expect(v(token)).resolves.toMatchObject({ id: claims.sub });
    revoked.set(claims.sub, Math.floor(Date.now() / 1000) + 1);
    await expect(v(token)).rejects.toBeInstanceOf(AuthError);
    await expect(v(token)).rejects.toBeInstanceOf(AuthError);
    revoked.clear();
    synced = false;
    await expect(v(token)).rejects.toBeInstanceOf(AuthUnavailableError);
    synced = true;
    await expect(v(token)).resolves.toMatchObject({ id: claims.sub });
    // All of it from memory: the revocation check does not depend on the signature check.
    expect(spy).toHaveBeenCalledTimes(1);
  });

  it('refuses a remembered token once it expires (same tolerance as the signature check)', async () => {
    const v = createTokenVerifier({ keys: staticKeys, issuer: 'iss', audience: 'aud' });
    const start = Date.now();
    jest.useFakeTimers({ now: start, doNotFake: ['nextTick', 'setImmediate', 'queueMicrotask'] });
    const token = sign(claims, { expiresIn: 30 });
    await expect(v(token)).resolves.toMatchObject({ id: claims.sub });
    jest.setSystemTime(start + 30_000 + 3_000); // past exp, within the 5 s tolerance
    await expect(v(token)).resolves.toMatchObject({ id: claims.sub });
    const spy = signatureChecks();
    jest.setSystemTime(start + 30_000 + 6_500);
    await expect(v(token)).rejects.toBeInstanceOf(AuthError);
    // The expired entry was dropped: the refusal came from the full check.
    expect(spy).toHaveBeenCalledTimes(1);
  });

  it('checks the signature again when the key source no longer has the key that verified it', async () => {
    const keys = swappable();
    await keys.load();
    const v = createTokenVerifier({ keys, issuer: 'iss', audience: 'aud' });
    const spy = signatureChecks();
    const token = sign();
    await v(token);
    await v(token);
    expect(spy).toHaveBeenCalledTimes(1);
    await keys.load(); // refreshed: an equal key, but not the one that verified the token
    await v(token);
    expect(spy).toHaveBeenCalledTimes(2);
    keys.drop(); // rotated out
    await expect(v(token)).rejects.toBeInstanceOf(AuthError);
  });

  it('stays within its bound, oldest out first', async () => {
    const v = createTokenVerifier({ keys: staticKeys, issuer: 'iss', audience: 'aud', cacheSize: 2 });
    const tokens = [1, 2, 3].map(() => sign({ ...claims, sub: randomUUID() }));
    for (const t of tokens) await v(t);
    const spy = signatureChecks();
    await v(tokens[2]);
    await v(tokens[1]);
    expect(spy).toHaveBeenCalledTimes(0);
    await v(tokens[0]); // evicted: checked again (and now evicts tokens[1])
    expect(spy).toHaveBeenCalledTimes(1);
  });

  it('remembers nothing with cacheSize 0, and never remembers a token that failed', async () => {
    const off = createTokenVerifier({ keys: staticKeys, issuer: 'iss', audience: 'aud', cacheSize: 0 });
    const token = sign();
    const spy = signatureChecks();
    await off(token);
    await off(token);
    expect(spy).toHaveBeenCalledTimes(2);
    const v = createTokenVerifier({ keys: staticKeys, issuer: 'iss', audience: 'aud' });
    const wrongAudience = sign(claims, { audience: 'other' });
    await expect(v(wrongAudience)).rejects.toBeInstanceOf(AuthError);
    await expect(v(wrongAudience)).rejects.toBeInstanceOf(AuthError);
  });
});

describe('bearerToken', () => {
  it('extracts the token or reports a malformed header', () => {
    expect(bearerToken(undefined)).toBeUndefined();
    expect(bearerToken('Bearer abc.def.ghi')).toBe('abc.def.ghi');
    expect(() => bearerToken('Basic dXNlcjpwYXNz')).toThrow(AuthError);
  });
});
