import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
import jwt from 'jsonwebtoken';
import { AuthError, bearerToken, createTokenVerifier, keyId, StaticKeyResolver, toPublicJwk } from './index.js';

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

describe('bearerToken', () => {
  it('extracts the token or reports a malformed header', () => {
    expect(bearerToken(undefined)).toBeUndefined();
    expect(bearerToken('Bearer abc.def.ghi')).toBe('abc.def.ghi');
    expect(() => bearerToken('Basic dXNlcjpwYXNz')).toThrow(AuthError);
  });
});
