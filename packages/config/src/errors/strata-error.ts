/** Stable error codes. The API maps each to an HTTP status in one place. */
export const ERROR_CODES = [
  'INVALID_CONFIG',
  'INVALID_NAME',
  'INVALID_USER_ID',
  'INVALID_OPTIONS',
  'INVALID_ACCESS',
  'INVALID_INPUT',
  'NAME_RESERVED',
  'NOT_FOUND',
  'CONFLICT',
  'REDIS_UNAVAILABLE',
  'TIMEOUT',
  'LOAD_TIMEOUT',
  'LOAD_FAILED',
  'LOCK_LOST',
  'STALE_GENERATION',
  'APP_TIER_NOT_READY',
  'CLOSED',
  'CONNECT_FAILED',
  'SCOPE_REFUSED',
  'CAPACITY',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

/** One problem found in an input, with the path of the field it concerns. */
export interface FieldIssue {
  /** Dotted path of the field, e.g. `mcpServers.github.url`. */
  readonly path: string;
  readonly message: string;
}

/**
 * Base class of every error the registry throws: a stable `code`, a message safe to show
 * (it never holds a secret), and the underlying `cause` when there is one.
 */
export class StrataError extends Error {
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** An input (config file, API body, option) was rejected; `issues` names every bad field. */
export class ValidationError extends StrataError {
  readonly issues: readonly FieldIssue[];
  /** The input's source, e.g. a file path, when known. */
  readonly source: string | undefined;

  constructor(
    code: 'INVALID_CONFIG' | 'INVALID_NAME' | 'INVALID_USER_ID' | 'INVALID_OPTIONS' | 'INVALID_ACCESS',
    issues: readonly FieldIssue[],
    source?: string,
  ) {
    const where = source ? `${source}: ` : '';
    const list = issues.map((issue) => `${issue.path || '(root)'}: ${issue.message}`).join('; ');
    super(code, `${where}${list}`);
    this.issues = issues;
    this.source = source;
  }
}

export function isStrataError(error: unknown): error is StrataError {
  return error instanceof StrataError;
}
