import { GraphQLError } from 'graphql';

/** The closed set of error codes the contract promises clients (docs/api.md, "Errors"). */
export const ERROR_CODES = [
  'UNAUTHENTICATED',
  'FORBIDDEN',
  'BAD_USER_INPUT',
  'NOT_FOUND',
  'CONFLICT',
  'RATE_LIMITED',
  'ACCOUNT_NOT_VERIFIED',
  'INTERNAL_SERVER_ERROR',
  'SERVICE_UNAVAILABLE',
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

/**
 * A contract error. It carries no HTTP status: inside a subgraph a non-200 answer makes the
 * gateway discard the whole subgraph response (and the code). Only the gateway, when an error is
 * the whole answer (a bad token), sets one with `withHttpStatus`.
 */
export class AppError extends GraphQLError {
  constructor(code: ErrorCode, message: string, extensions: Record<string, unknown> = {}) {
    super(message, { extensions: { code, ...extensions } });
    this.name = 'AppError';
  }
}

/** Makes Apollo Server answer this error with the given HTTP status (gateway only). */
export function withHttpStatus<E extends GraphQLError>(error: E, status: number): E {
  (error.extensions as Record<string, unknown>).http = { status };
  return error;
}

export class UnauthenticatedError extends AppError {
  constructor(message = 'Authentication required') {
    super('UNAUTHENTICATED', message);
  }
}
export class ForbiddenError extends AppError {
  constructor(message = 'Not allowed') {
    super('FORBIDDEN', message);
  }
}
export interface FieldProblem {
  field: string;
  message: string;
}
export class BadUserInputError extends AppError {
  constructor(message: string, fields: FieldProblem[] = []) {
    super('BAD_USER_INPUT', message, { fields });
  }
  /** One offending field. */
  static field(field: string, message: string): BadUserInputError {
    return new BadUserInputError(message, [{ field, message }]);
  }
}
export class NotFoundError extends AppError {
  constructor(what = 'Resource') {
    super('NOT_FOUND', `${what} not found`);
  }
}
export class ConflictError extends AppError {
  constructor(message: string, reason: string, extra: Record<string, unknown> = {}) {
    super('CONFLICT', message, { reason, ...extra });
  }
}
export class RateLimitedError extends AppError {
  constructor(retryAfterSeconds: number) {
    super('RATE_LIMITED', `Too many attempts. Try again in ${retryAfterSeconds} seconds.`, {
      retryAfterSeconds,
    });
  }
}
export class AccountNotVerifiedError extends AppError {
  constructor() {
    super('ACCOUNT_NOT_VERIFIED', 'Verify your account with the code we sent before logging in');
  }
}

/**
 * Something this request depends on (Redis, a subgraph, a database) is not reachable right now.
 * Not a verdict on the caller or the input: retry after `retryAfterSeconds`. Clients must not
 * treat it like UNAUTHENTICATED (keep the tokens).
 */
export class ServiceUnavailableError extends AppError {
  constructor(message = 'The service is temporarily unavailable. Try again shortly.', retryAfterSeconds = 5) {
    super('SERVICE_UNAVAILABLE', message, { retryAfterSeconds });
  }
}
