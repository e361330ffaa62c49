import { createHash, createPublicKey, type JsonWebKey, type KeyObject } from 'node:crypto';

export interface Jwk extends JsonWebKey {
  kid: string;
  alg: string;
  use: string;
}

/** Public JWK for a PEM or KeyObject (private keys are reduced to their public half). */
export function toPublicJwk(key: string | KeyObject, kid: string): Jwk {
  const pub = createPublicKey(key);
  return { ...(pub.export({ format: 'jwk' }) as JsonWebKey), kid, alg: 'RS256', use: 'sig' };
}

/** kid = start of the SHA-256 of the public modulus: stable for a key, different between keys. */
export function keyId(key: string | KeyObject): string {
  const jwk = createPublicKey(key).export({ format: 'jwk' }) as JsonWebKey;
  return createHash('sha256').update(String(jwk.n)).digest('base64url').slice(0, 16);
}

/** Source of verification keys by kid. */
export interface KeyResolver {
  getKey(kid: string): Promise<KeyObject | undefined>;
}

/** Fixed keys (tests, or a deployment that configures public keys directly). */
export class StaticKeyResolver implements KeyResolver {
  private readonly keys: Map<string, KeyObject>;
  constructor(jwks: Jwk[]) {
    this.keys = new Map(jwks.map((j) => [j.kid, createPublicKey({ key: j, format: 'jwk' })]));
  }
  async getKey(kid: string): Promise<KeyObject | undefined> {
    return this.keys.get(kid);
  }
}

/**
 * Keys fetched from auth's /.well-known/jwks.json: cached, refetched when an unknown kid
 * arrives (key rotation), at most once per `minRefetchMs` so forged kids cannot hammer auth.
 */
export class JwksKeyResolver implements KeyResolver {
  private keys = new Map<string, KeyObject>();
  private lastFetch = 0;
  private inflight: Promise<void> | null = null;

  constructor(
    private readonly url: string,
    private readonly minRefetchMs = 5_000,
    private readonly maxAgeMs = 10 * 60_000,
  ) {}

  async getKey(kid: string): Promise<KeyObject | undefined> {
    const stale = Date.now() - this.lastFetch > this.maxAgeMs;
    if (stale || (!this.keys.has(kid) && Date.now() - this.lastFetch > this.minRefetchMs)) {
      await this.refresh().catch(() => undefined);
    }
    return this.keys.get(kid);
  }

  refresh(): Promise<void> {
    this.inflight ??= (async () => {
      try {
        const res = await fetch(this.url, { signal: AbortSignal.timeout(3_000) });
        if (!res.ok) throw new Error(`JWKS fetch failed: HTTP ${res.status}`);
        const body = (await res.json()) as { keys: Jwk[] };
        const next = new Map<string, KeyObject>();
        for (const j of body.keys) if (j.kid && j.kty === 'RSA') next.set(j.kid, createPublicKey({ key: j, format: 'jwk' }));
        this.keys = next;
      } finally {
        this.lastFetch = Date.now();
        this.inflight = null;
      }
    })();
    return this.inflight;
  }
}
