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
}

export type TokenVerifier = (token: string) => Promise<AuthUser>;

/**
 * The one token verifier factory (gateway, every subgraph, tests). Verifies an access token: RS256 only (so `none` and HS256-with-the-public-key fail), issuer,
 * audience, expiry, `typ=access` (a refresh token or other JWT cannot pass as one), known kid.
 */
export function createTokenVerifier(options: VerifierOptions): TokenVerifier {
  const keys = 'jwksUrl' in options.keys ? new JwksKeyResolver(options.keys.jwksUrl) : options.keys;
  return async (token: string) => {
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
        clockTolerance: 5,
      }) as jwt.JwtPayload;
    } catch {
      throw new AuthError();
    }
    if (payload.typ !== 'access' || typeof payload.sub !== 'string' || !ROLES.includes(payload.role as Role)) {
      throw new AuthError();
    }
    const user: AuthUser = {
      id: payload.sub,
      role: payload.role as Role,
      email: String(payload.email ?? ''),
      issuedAt: Number(payload.iat ?? 0),
    };
    if (options.revocation?.isRevoked(user)) throw new AuthError();
    return user;
  };
}

/** Extracts the token from `Authorization: Bearer <token>`; undefined when absent; throws when malformed. */
export function bearerToken(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const match = /^Bearer\s+([A-Za-z0-9\-_.]+)$/i.exec(header.trim());
  if (!match) throw new AuthError('Malformed Authorization header');
  return match[1];
}
