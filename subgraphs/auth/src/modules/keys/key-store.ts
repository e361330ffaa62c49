import { createPrivateKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { keyId, toPublicJwk, type Jwk } from '@hc/auth';

export interface SigningKey {
  kid: string;
  privateKey: KeyObject;
}

/**
 * Access-token signing keys. The active key signs; retired keys stay in the JWKS so tokens they
 * signed verify until they are removed (rotation: add a new active key, keep the old one as
 * retired for at least one access-token lifetime, then delete it).
 *
 * Sources, first match wins: JWT_PRIVATE_KEY (PEM), JWT_PRIVATE_KEY_FILE, KEYS_DIR/active.pem.
 * Retired keys: KEYS_DIR/retired-*.pem. Outside production a missing key is generated once
 * into KEYS_DIR (git-ignored).
 */
export class KeyStore {
  private constructor(
    readonly active: SigningKey,
    readonly retired: SigningKey[],
  ) {}

  static load(options: { pem?: string; file?: string; dir: string; production: boolean }): KeyStore {
    let activePem = options.pem?.replace(/\\n/g, '\n');
    if (!activePem && options.file) activePem = readFileSync(options.file, 'utf8');
    const activePath = path.join(options.dir, 'active.pem');
    if (!activePem && existsSync(activePath)) activePem = readFileSync(activePath, 'utf8');
    if (!activePem) {
      if (options.production) {
        throw new Error('JWT_PRIVATE_KEY or JWT_PRIVATE_KEY_FILE must be set in production');
      }
      const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
      activePem = privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
      mkdirSync(options.dir, { recursive: true, mode: 0o700 });
      writeFileSync(activePath, activePem, { mode: 0o600 });
    }
    const toKey = (pem: string): SigningKey => {
      const privateKey = createPrivateKey(pem);
      return { kid: keyId(privateKey), privateKey };
    };
    const retired = existsSync(options.dir)
      ? readdirSync(options.dir)
          .filter((f) => /^retired-.*\.pem$/.test(f))
          .map((f) => toKey(readFileSync(path.join(options.dir, f), 'utf8')))
      : [];
    return new KeyStore(toKey(activePem), retired);
  }

  /** For tests: keys made in memory. */
  static fromKeys(active: KeyObject, retired: KeyObject[] = []): KeyStore {
    return new KeyStore(
      { kid: keyId(active), privateKey: active },
      retired.map((k) => ({ kid: keyId(k), privateKey: k })),
    );
  }

  jwks(): { keys: Jwk[] } {
    return { keys: [this.active, ...this.retired].map((k) => toPublicJwk(k.privateKey, k.kid)) };
  }
}
