import type { GraphQLFormattedError } from 'graphql';
import { GraphQLError } from 'graphql';
import { unwrapResolverError } from '@apollo/server/errors';
import {
  ArgumentValidationError,
  AuthenticationError as TgAuthenticationError,
  AuthorizationError as TgAuthorizationError,
} from 'type-graphql';
import type { Logger } from '@hc/logger';
import { ERROR_CODES, type ErrorCode } from './errors.js';
import { currentRequestId } from './context.js';
import { DEPENDENCY_RETRY_AFTER_SECONDS, isDependencyUnavailable } from './dependency-errors.js';

/** Postgres SQLSTATEs we translate; everything else is unexpected and masked. */
const SQLSTATE: Record<string, { code: ErrorCode; message: string; reason?: string }> = {
  '23505': { code: 'CONFLICT', message: 'A record with these values already exists', reason: 'DUPLICATE' },
  '23P01': { code: 'CONFLICT', message: 'The requested time slot is no longer available', reason: 'SLOT_UNAVAILABLE' },
  '23514': { code: 'CONFLICT', message: 'The change violates a business rule', reason: 'CONSTRAINT' },
  '23503': { code: 'BAD_USER_INPUT', message: 'A referenced record does not exist' },
  '22P02': { code: 'BAD_USER_INPUT', message: 'A value has the wrong format' },
  '22001': { code: 'BAD_USER_INPUT', message: 'A value is too long' },
  '22021': { code: 'BAD_USER_INPUT', message: 'A value contains an invalid character' },
  '22003': { code: 'BAD_USER_INPUT', message: 'A number is out of range' },
  '22007': { code: 'BAD_USER_INPUT', message: 'A date or time has the wrong format' },
  '22008': { code: 'BAD_USER_INPUT', message: 'A date or time is out of range' },
  '40001': { code: 'CONFLICT', message: 'Concurrent update, please retry', reason: 'RETRY' },
  '40P01': { code: 'CONFLICT', message: 'Concurrent update, please retry', reason: 'RETRY' },
};

/** Codes GraphQL/Apollo itself produces before execution: safe to pass on. */
const PASS_THROUGH = new Set([
  ...ERROR_CODES,
  'GRAPHQL_PARSE_FAILED',
  'GRAPHQL_VALIDATION_FAILED',
  'PERSISTED_QUERY_NOT_FOUND',
  'PERSISTED_QUERY_NOT_SUPPORTED',
  'OPERATION_RESOLUTION_FAILURE',
  'BAD_REQUEST',
]);

/** Extension keys a client may see; anything else (stack traces, subgraph responses and URLs) is dropped. */
const SAFE_EXTENSIONS = new Set(['code', 'fields', 'reason', 'retryAfterSeconds', 'requestId', 'item', 'itemId']);

export interface FormatErrorOptions {
  logger: Logger;
  /** Returns the request id for the log line and the masked message (default: the request store). */
  requestId?: () => string | undefined;
}

function sqlState(err: unknown): string | undefined {
  const e = err as { code?: unknown; sqlState?: unknown; cause?: unknown };
  if (typeof e?.sqlState === 'string') return e.sqlState;
  if (typeof e?.code === 'string' && /^[0-9A-Z]{5}$/.test(e.code)) return e.code;
  return undefined;
}

function constraintName(err: unknown): string | undefined {
  const e = err as { constraint?: string; message?: string };
  if (e.constraint) return e.constraint;
  return /constraint "([^"]+)"/.exec(e.message ?? '')?.[1];
}

/**
 * The one error formatter every subgraph uses: contract codes pass through, validation and
 * ORM/database errors become contract codes, anything else becomes a masked
 * INTERNAL_SERVER_ERROR whose detail goes to the log under the request id.
 */
export function createFormatError(opts: FormatErrorOptions) {
  const options = { requestId: currentRequestId, ...opts };
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    const original = unwrapResolverError(error);
    const path = formatted.path;
    const locations = formatted.locations;

    if (original instanceof ArgumentValidationError) {
      const fields = original.extensions.validationErrors
        ? (original.extensions.validationErrors as { property: string; constraints?: Record<string, string> }[]).map((v) => ({
            field: v.property,
            message: Object.values(v.constraints ?? {}).join('; ') || 'invalid',
          }))
        : [];
      return { message: 'Invalid input', locations, path, extensions: { code: 'BAD_USER_INPUT', fields } };
    }
    if (original instanceof TgAuthenticationError) {
      return { message: 'Authentication required', locations, path, extensions: { code: 'UNAUTHENTICATED' } };
    }
    if (original instanceof TgAuthorizationError) {
      return { message: 'Not allowed', locations, path, extensions: { code: 'FORBIDDEN' } };
    }
    const state = sqlState(original);
    if (state && SQLSTATE[state]) {
      const m = SQLSTATE[state];
      options.logger.info(
        { sqlState: state, constraint: constraintName(original), requestId: options.requestId?.() },
        'database rule answered',
      );
      return {
        message: m.message,
        locations,
        path,
        extensions: { code: m.code, ...(m.reason ? { reason: m.reason } : {}) },
      };
    }
    if ((original as Error)?.name === 'CursorError') {
      return {
        message: 'after is not a valid cursor',
        locations,
        path,
        extensions: { code: 'BAD_USER_INPUT', fields: [{ field: 'after', message: 'invalid cursor' }] },
      };
    }
    if ((original as Error)?.name === 'NotFoundError') {
      return { message: 'Resource not found', locations, path, extensions: { code: 'NOT_FOUND' } };
    }
    const code = formatted.extensions?.code;
    const isOwnGraphQLError = original instanceof GraphQLError || !(original instanceof Error);
    if (typeof code === 'string' && PASS_THROUGH.has(code) && code !== 'INTERNAL_SERVER_ERROR' && isOwnGraphQLError) {
      const extensions = Object.fromEntries(Object.entries(formatted.extensions ?? {}).filter(([k]) => SAFE_EXTENSIONS.has(k)));
      return { message: formatted.message, locations, path, extensions };
    }
    // Redis, a database or another service could not be reached: not the caller's fault and not
    // a bug, so say "try again" (logged as a warning, without the error's own words to the client).
    if (isDependencyUnavailable(original) || isDependencyUnavailable(error)) {
      options.logger.warn({ err: original, requestId: options.requestId?.(), path }, 'dependency unavailable');
      return {
        message: 'The service is temporarily unavailable. Try again shortly.',
        locations,
        path,
        extensions: { code: 'SERVICE_UNAVAILABLE', retryAfterSeconds: DEPENDENCY_RETRY_AFTER_SECONDS },
      };
    }
    const requestId = options.requestId?.();
    options.logger.error({ err: original, requestId, path }, 'unexpected error');
    return {
      message: `Internal server error${requestId ? ` (request id ${requestId})` : ''}`,
      locations,
      path,
      extensions: { code: 'INTERNAL_SERVER_ERROR', ...(requestId ? { requestId } : {}) },
    };
  };
}
