import type { KeyObject } from 'node:crypto';
import jwt from 'jsonwebtoken';
import { ACCESS_TOKEN_ALGORITHM, AuthError, ROLES, type AuthUser, type Role } from './types.js';
import { JwksKeyResolver, type KeyResolver } from './keys.js';

export interface VerifierOptions {
  /**
   * Where public keys come from: auth's JWKS endpoint (gateway, subgraphs), or a key source at
   * hand (auth's own keys, test keys).
   */
  keys: { jwksUrl: string } | KeyResolver;
  issuer: string;
  audience: string;
  /**
   * Revocation markers (tokens issued before a password change/reset), checked in memory after
   * the signature and claims are valid: a `RevocationCache` (no Redis read per request).
   */
  revocation?: { isRevoked: (user: AuthUser) => boolean };
  /**
   * Most verified tokens remembered (default 10 000; 0 turns the cache off). A token seen again
   * skips the signature check (see `createTokenVerifier`); expiry, the key and revocation are
   * still checked on every use.
   */
  cacheSize?: number;
}

/** Seconds of clock skew allowed on `exp`/`nbf`/`iat`, in the signature check and in the cache alike. */
const CLOCK_TOLERANCE_SECONDS = 5;

interface Verified {
  user: AuthUser;
  /** The key that verified the signature: a hit counts only while the key source still returns this very key. */
  kid: string;
  key: KeyObject;
  /** Valid while `floor(now / 1000)` is below this (jsonwebtoken's own expiry rule, tolerance included). */
  expiresBefore: number;
}

export type TokenVerifier = (token: string) => Promise<AuthUser>;

/**
 * The one token verifier factory (gateway, every subgraph, tests). Verifies an access token: RS256 only (so `none` and HS256-with-the-public-key fail), issuer,
 * audience, expiry, `typ=access` (a refresh token or other JWT cannot pass as one), known kid.
 *
 * The RSA signature check is most of a signed-in request's verification cost, paid at the gateway
 * and again at every subgraph a request reaches, for the same token each time. So a token that
 * passed is remembered, keyed by its exact text (never by its claims: no other string maps to
 * its caller), in a bounded map (oldest first out; only tokens that passed, so invalid ones
 * cannot fill it). A remembered token is accepted without the signature check only while
 *  - it has not expired (the same rule and tolerance as the full check),
 *  - the key source still returns the very key that verified it (a JWKS refresh that drops or
 *    replaces the key sends the token through the full check again),
 * and the revocation markers are checked on every use, hit or not, so a password change or
 * reset refuses the token from the next request on. Each call gets its own copy of the caller.
 */
export function createTokenVerifier(options: VerifierOptions): TokenVerifier {
  const keys = 'jwksUrl' in options.keys ? new JwksKeyResolver(options.keys.jwksUrl) : options.keys;
  const cacheSize = Math.max(0, Math.floor(options.cacheSize ?? 10_000));
  const verified = new Map<string, Verified>();
  const nowSeconds = () => Math.floor(Date.now() / 1000);

  const remember = (token: string, entry: Verified) => {
    if (cacheSize === 0) return;
    if (verified.size >= cacheSize) {
      // Insertion order is close to expiry order (tokens share one lifetime): drop expired entries
      // from the front, then the oldest if still full. No scan of the whole cache per insert.
      const now = nowSeconds();
      for (const [t, e] of verified) {
        if (e.expiresBefore > now) break;
        verified.delete(t);
      }
      while (verified.size >= cacheSize) verified.delete(verified.keys().next().value!);
    }
    verified.set(token, entry);
  };

  const accept = (user: AuthUser): AuthUser => {
    if (options.revocation?.isRevoked(user)) throw new AuthError();
    return { ...user };
  };

  return async (token: string) => {
    const hit = cacheSize ? verified.get(token) : undefined;
    if (hit) {
      if (nowSeconds() < hit.expiresBefore && (await keys.getKey(hit.kid)) === hit.key) return accept(hit.user);
      verified.delete(token);
    }
    const decoded = jwt.decode(token, { complete: true });
    if (!decoded || typeof decoded.payload === 'string') throw new AuthError();
    if (decoded.header.alg !== ACCESS_TOKEN_ALGORITHM || !decoded.header.kid) throw new AuthError();
    const key = await keys.getKey(decoded.header.kid);
    if (!key) throw new AuthError();
    let payload: jwt.JwtPayload;
    try {
      payload = jwt.verify(token, key, {
        algorithms: [ACCESS_TOKEN_ALGORITHM],
        issuer: options.issuer,
        audience: options.audience,
        clockTolerance: CLOCK_TOLERANCE_SECONDS,
      }) as jwt.JwtPayload;
    } catch {
      throw new AuthError();
    }
    if (payload.typ !== 'access' || typeof payload.sub !== 'string' || !ROLES.includes(payload.role as Role)) {
      throw new AuthError();
    }
    const user: AuthUser = Object.freeze({
      id: payload.sub,
      role: payload.role as Role,
      email: String(payload.email ?? ''),
      issuedAt: Number(payload.iat ?? 0),
    });
    const result = accept(user);
    // Only tokens with an expiry are remembered (every access token auth issues has one).
    if (typeof payload.exp === 'number')
      remember(token, { user, kid: decoded.header.kid, key, expiresBefore: payload.exp + CLOCK_TOLERANCE_SECONDS });
    return result;
  };
}

/** Extracts the token from `Authorization: Bearer <token>`; undefined when absent; throws when malformed. */
export function bearerToken(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const match = /^Bearer\s+([A-Za-z0-9\-_.]+)$/i.exec(header.trim());
  if (!match) throw new AuthError('Malformed Authorization header');
  return match[1];
}
