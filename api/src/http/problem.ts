import { isStrataError, ValidationError, type ErrorCode, type FieldIssue } from '@strata/config';
import { scrubMessage } from '../runtime/scrub';

/** Codes the API adds to the library's {@link ErrorCode}s. */
export type ApiErrorCode =
  | 'UNAUTHORIZED'
  | 'FORBIDDEN'
  | 'INVALID_BODY'
  | 'BODY_TOO_LARGE'
  | 'UNSUPPORTED_MEDIA_TYPE'
  | 'ROUTE_NOT_FOUND'
  | 'REQUEST_TIMEOUT'
  | 'DATABASE_UNAVAILABLE'
  | 'TOOL_REFUSED'
  | 'TOOL_FAILED'
  | 'SHUTTING_DOWN'
  | 'RATE_LIMITED'
  | 'INTERNAL';

export type ProblemCode = ErrorCode | ApiErrorCode;

/** An error the API raises itself, with its stable code, a safe message and the fields concerned. */
export class ApiError extends Error {
  constructor(
    readonly code: ApiErrorCode,
    message: string,
    readonly issues: readonly FieldIssue[] = [],
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'ApiError';
  }
}

/**
 * THE mapping of every error code to an HTTP status. A `Record` over every code: a code added to
 * the library without a status here fails the type check.
 */
export const STATUS_OF: Readonly<Record<ProblemCode, number>> = {
  INVALID_CONFIG: 400,
  INVALID_NAME: 400,
  INVALID_USER_ID: 400,
  INVALID_OPTIONS: 400,
  INVALID_ACCESS: 400,
  INVALID_BODY: 400,
  INVALID_INPUT: 400,
  LIMIT_EXCEEDED: 413,
  UNRESOLVED_PLACEHOLDER: 422,
  ADDRESS_REFUSED: 403,
  TOOL_DENIED: 403,
  DECRYPT_FAILED: 500,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  ROUTE_NOT_FOUND: 404,
  NAME_RESERVED: 409,
  CONFLICT: 409,
  SCOPE_REFUSED: 409,
  TOOL_REFUSED: 403,
  BODY_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  CAPACITY: 429,
  RATE_LIMITED: 429,
  INTERNAL: 500,
  CONNECT_FAILED: 502,
  TOOL_FAILED: 502,
  REDIS_UNAVAILABLE: 503,
  DATABASE_UNAVAILABLE: 503,
  LOAD_TIMEOUT: 503,
  LOAD_FAILED: 503,
  LOCK_LOST: 503,
  STALE_GENERATION: 503,
  APP_TIER_NOT_READY: 503,
  CLOSED: 503,
  SHUTTING_DOWN: 503,
  TIMEOUT: 504,
  REQUEST_TIMEOUT: 504,
};

/** An RFC 9457 problem document, as every error response carries it (`application/problem+json`). */
export interface Problem {
  readonly type: string;
  readonly title: string;
  readonly status: number;
  /** Stable, machine-readable. */
  readonly code: ProblemCode;
  /** Safe to show: never a secret, a header or an env value. */
  readonly detail: string;
  /** Every bad field, by path (`config.url`, `access.grants.0.bits`). */
  readonly issues?: readonly FieldIssue[];
  /** The request id (also in the `x-request-id` header and every log line of the request). */
  readonly instance?: string;
}

const MONGO_OUTAGE = /^Mongo(ServerSelection|Network|NetworkTimeout|NotConnected|TopologyClosed)Error$/;

/** Whether the error means the database could not be reached (mongoose/driver outage errors). */
export function isDatabaseOutage(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  if (MONGO_OUTAGE.test(error.name)) return true;
  if (/buffering timed out|Client must be connected|connection .* closed/i.test(error.message)) return true;
  // A write or query error of the driver whose cause is the network (e.g. MongoBulkWriteError: connect ECONNREFUSED).
  if (
    /^Mongo/.test(error.name) &&
    /ECONNREFUSED|ECONNRESET|ETIMEDOUT|EPIPE|EHOSTUNREACH|Server selection timed out|Topology is closed/i.test(
      error.message,
    )
  )
    return true;
  return error.cause !== undefined && error.cause !== error && isDatabaseOutage(error.cause);
}

/** Any thrown value as a problem document: the one place errors become HTTP answers. */
export function toProblem(error: unknown, requestId?: string): Problem {
  let code: ProblemCode = 'INTERNAL';
  let detail = 'internal error';
  let issues: readonly FieldIssue[] = [];
  if (error instanceof ApiError) {
    ({ code, issues } = error);
    detail = error.message;
  } else if (isStrataError(error)) {
    code = error.code;
    detail = error.message;
    if (error instanceof ValidationError) issues = error.issues;
  } else if (isDatabaseOutage(error)) {
    code = 'DATABASE_UNAVAILABLE';
    detail = 'the database is unavailable';
  }
  const status = STATUS_OF[code];
  detail = scrubMessage(detail);
  return {
    type: `https://strata.dev/problems/${code.toLowerCase().replace(/_/g, '-')}`,
    title: code.toLowerCase().replace(/_/g, ' '),
    status,
    code,
    detail,
    ...(issues.length > 0 ? { issues } : {}),
    ...(requestId ? { instance: requestId } : {}),
  };
}
