import { createHash, randomBytes, randomUUID } from 'node:crypto';
import jwt from 'jsonwebtoken';
import { LockMode, type EntityManager } from '@mikro-orm/postgresql';
import { ACCESS_TOKEN_ALGORITHM } from '@hc/auth';
import { UnauthenticatedError } from '@hc/graphql';
import type { Logger } from '@hc/logger';
import type { KeyStore } from '../keys/key-store.js';
import { User } from '../user/user.entity.js';
import type { AuthPayload } from '../account/account.inputs.js';
import type { AuthSubgraphContext } from '../../context.js';
import { RefreshToken } from './refresh-token.entity.js';

export interface TokenSettings {
  issuer: string;
  audience: string;
  accessTtlSeconds: number;
  refreshTtlSeconds: number;
  refreshIdleSeconds: number;
}

export interface IssuedTokens {
  accessToken: string;
  refreshToken: string;
  expiresIn: number;
}

const sha256 = (value: string) => createHash('sha256').update(value).digest('hex');
const invalidRefresh = () => new UnauthenticatedError('Invalid or expired refresh token');

/**
 * Access tokens (RS256 JWT signed by the key store's active key) and refresh tokens (opaque,
 * stored hashed, rotated on every use; a spent token presented again revokes its family).
 */
export class TokenService {
  constructor(
    private readonly keys: KeyStore,
    readonly settings: TokenSettings,
  ) {}

  signAccessToken(user: User): string {
    // A token minted in the same second as a password change must still pass the
    // issued-before check, so iat never precedes the user's tokensValidAfter.
    const now = Math.floor(Date.now() / 1000);
    const validAfter = user.tokensValidAfter ? Math.floor(user.tokensValidAfter.getTime() / 1000) : 0;
    const iat = Math.max(now, validAfter);
    return jwt.sign(
      { sub: user.id, role: user.role, email: user.email, typ: 'access', iat, exp: iat + this.settings.accessTtlSeconds },
      this.keys.active.privateKey,
      {
        algorithm: ACCESS_TOKEN_ALGORITHM,
        keyid: this.keys.active.kid,
        issuer: this.settings.issuer,
        audience: this.settings.audience,
      },
    );
  }

  private newRefresh(em: EntityManager, userId: string, familyId: string, familyExpiresAt: Date): string {
    const token = randomBytes(32).toString('base64url');
    const row = new RefreshToken();
    row.userId = userId;
    row.familyId = familyId;
    row.tokenHash = sha256(token);
    row.familyExpiresAt = familyExpiresAt;
    row.idleExpiresAt = new Date(Math.min(familyExpiresAt.getTime(), Date.now() + this.settings.refreshIdleSeconds * 1000));
    em.persist(row);
    return token;
  }

  /** A new session (login, verifyOtp): a new refresh-token family. Flushes. */
  async issue(em: EntityManager, user: User): Promise<IssuedTokens> {
    const familyExpiresAt = new Date(Date.now() + this.settings.refreshTtlSeconds * 1000);
    const refreshToken = this.newRefresh(em, user.id, randomUUID(), familyExpiresAt);
    await em.flush();
    return { accessToken: this.signAccessToken(user), refreshToken, expiresIn: this.settings.accessTtlSeconds };
  }

  /**
   * Rotates a refresh token. The row is locked, so two concurrent uses of one token cannot both
   * rotate: the second sees it spent, which counts as reuse and revokes the whole family
   * (including the token the first use just received).
   */
  async rotate(em: EntityManager, presented: string, logger?: Logger): Promise<{ userId: string; refreshToken: string }> {
    const hash = sha256(presented);
    const outcome = await em.transactional(async (tx) => {
      const row = await tx.findOne(RefreshToken, { tokenHash: hash }, { lockMode: LockMode.PESSIMISTIC_WRITE });
      if (!row) return { error: true as const };
      if (row.usedAt || row.revokedAt) {
        await this.revokeFamily(tx, row.familyId);
        if (!row.revokedAt) logger?.warn({ userId: row.userId, familyId: row.familyId }, 'refresh token reused: session revoked');
        return { error: true as const };
      }
      const now = new Date();
      if (row.familyExpiresAt <= now || row.idleExpiresAt <= now) return { error: true as const };
      row.usedAt = now;
      const refreshToken = this.newRefresh(tx, row.userId, row.familyId, row.familyExpiresAt);
      return { userId: row.userId, refreshToken };
    });
    if ('error' in outcome) throw invalidRefresh();
    return outcome;
  }

  async revokeFamily(em: EntityManager, familyId: string): Promise<void> {
    await em.nativeUpdate(RefreshToken, { familyId, revokedAt: null }, { revokedAt: new Date() });
  }

  /** logout: revokes the session the token belongs to; unknown tokens are ignored. */
  async revokeByToken(em: EntityManager, presented: string): Promise<void> {
    const row = await em.findOne(RefreshToken, { tokenHash: sha256(presented) });
    if (row) await this.revokeFamily(em, row.familyId);
  }

  /** Password change or reset: every session of the user ends. */
  async revokeAllForUser(em: EntityManager, userId: string): Promise<void> {
    await em.nativeUpdate(RefreshToken, { userId, revokedAt: null }, { revokedAt: new Date() });
  }
}

/** Signs the user in for this request's payload: a new session plus a User whose own fields are visible. */
export async function signIn(ctx: AuthSubgraphContext, user: User): Promise<AuthPayload> {
  const tokens = await ctx.services.tokens.issue(ctx.em, user);
  ctx.provenUserIds.add(user.id);
  return { ...tokens, user };
}

/** refreshToken: rotates the presented token and answers with a fresh access token for its user. */
export async function refreshSession(ctx: AuthSubgraphContext, presented: string): Promise<AuthPayload> {
  const { userId, refreshToken } = await ctx.services.tokens.rotate(ctx.em, presented, ctx.logger);
  const user = await ctx.em.findOne(User, { id: userId });
  if (!user) throw invalidRefresh();
  ctx.provenUserIds.add(user.id);
  return {
    accessToken: ctx.services.tokens.signAccessToken(user),
    refreshToken,
    expiresIn: ctx.services.tokens.settings.accessTtlSeconds,
    user,
  };
}
