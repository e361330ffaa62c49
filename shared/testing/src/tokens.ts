import { generateKeyPairSync, randomUUID, type KeyObject } from 'node:crypto';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import jwt from 'jsonwebtoken';
import {
  createTokenVerifier,
  keyId,
  StaticKeyResolver,
  toPublicJwk,
  type KeyResolver,
  type Role,
  type TokenVerifier,
} from '@hc/auth';

export interface TestKeys {
  privateKey: KeyObject;
  kid: string;
  /** A KEYS_DIR holding active.pem, for the auth subgraph under test. */
  dir: string;
  issuer: string;
  audience: string;
  /** The public key as a key source (a service under test verifies with it instead of a JWKS fetch). */
  keyResolver: KeyResolver;
  verifier: TokenVerifier;
}

/** A fresh RS256 key pair written where the auth subgraph loads its signing key from. */
export function createTestKeys(issuer = 'healthcare-auth', audience = 'healthcare-api'): TestKeys {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const dir = mkdtempSync(path.join(tmpdir(), 'hc-keys-'));
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'active.pem'), privateKey.export({ format: 'pem', type: 'pkcs8' }));
  const kid = keyId(privateKey);
  const keyResolver = new StaticKeyResolver([toPublicJwk(privateKey, kid)]);
  return {
    privateKey,
    kid,
    dir,
    issuer,
    audience,
    keyResolver,
    verifier: createTokenVerifier({ keys: keyResolver, issuer, audience }),
  };
}

/**
 * Signs an access token for tests that need a caller without going through login. Tests of the
 * token flows themselves use the real login mutation.
 */
export function signTestToken(
  keys: Pick<TestKeys, 'privateKey' | 'issuer' | 'audience'> & { kid: string },
  user: { id?: string; role: Role; email?: string },
  options: { expiresInSeconds?: number } = {},
): string {
  return jwt.sign(
    {
      sub: user.id ?? randomUUID(),
      role: user.role,
      email: user.email ?? `${user.role.toLowerCase()}@test.local`,
      typ: 'access',
    },
    keys.privateKey,
    {
      algorithm: 'RS256',
      keyid: keys.kid,
      issuer: keys.issuer,
      audience: keys.audience,
      expiresIn: options.expiresInSeconds ?? 600,
    },
  );
}
