export const ROLES = ['PATIENT', 'DOCTOR', 'ASSISTANT', 'PHARMACY', 'ADMIN'] as const;
export type Role = (typeof ROLES)[number];

/** The verified caller. Only ever built from a verified access token, never from headers. */
export interface AuthUser {
  id: string;
  role: Role;
  email: string;
  /** Seconds since epoch at which the token was issued. */
  issuedAt: number;
}

export interface AuthContext {
  /** null for anonymous callers. */
  user: AuthUser | null;
  requestId: string;
  /** The raw bearer header, forwarded to subgraphs by the gateway. */
  authorization?: string;
}

export class AuthError extends Error {
  constructor(message = 'Invalid or expired token') {
    super(message);
    this.name = 'AuthError';
  }
}

export const ACCESS_TOKEN_ALGORITHM = 'RS256' as const;

/**
 * Verification could not be completed because something it depends on is not available (e.g.
 * the revocation markers are not loaded yet). Not a verdict on the token: answered as
 * SERVICE_UNAVAILABLE (HTTP 503), never as UNAUTHENTICATED, so clients keep their tokens.
 */
export class AuthUnavailableError extends Error {
  constructor(message = 'Authentication is temporarily unavailable') {
    super(message);
    this.name = 'AuthUnavailableError';
  }
}
