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
  'INVALID_INPUT',
  'LIMIT_EXCEEDED',
  'UNRESOLVED_PLACEHOLDER',
  'ADDRESS_REFUSED',
  'TOOL_DENIED',
  'DECRYPT_FAILED',
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

/** Codes of errors that carry field issues. */
export type ValidationErrorCode = Extract<
  ErrorCode,
  | 'INVALID_CONFIG'
  | 'INVALID_NAME'
  | 'INVALID_USER_ID'
  | 'INVALID_OPTIONS'
  | 'INVALID_ACCESS'
  | 'INVALID_INPUT'
  | 'CONFLICT'
  | 'LIMIT_EXCEEDED'
  | 'UNRESOLVED_PLACEHOLDER'
>;

/** An input (config file, API body, option) was rejected; `issues` names every bad field. */
export class ValidationError extends StrataError {
  readonly issues: readonly FieldIssue[];
  /** The input's source, e.g. a file path, when known. */
  readonly source: string | undefined;

  constructor(code: ValidationErrorCode, issues: readonly FieldIssue[], source?: string) {
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

/**
 * A documented maximum was exceeded (`LIMIT_EXCEEDED`): `limit` is the name of the exported
 * constant (`MAX_ARGS`, `MAX_CONFIG_BYTES`, ...), `max` its value, `path` the field.
 */
export class LimitError extends ValidationError {
  readonly limit: string;
  readonly max: number;
  readonly path: string;

  constructor(limit: string, max: number, path: string, what: string, source?: string) {
    super('LIMIT_EXCEEDED', [{ path, message: `exceeds ${limit} (${max}): ${what}` }], source);
    this.limit = limit;
    this.max = max;
    this.path = path;
  }
}

/**
 * A per-user placeholder (`{{LIBRECHAT_USER_ID}}`, `{{MY_VAR}}`, `${input:id}`) had no value for
 * this user (`UNRESOLVED_PLACEHOLDER`): `field` and `variable` name the first one, `issues` all.
 * Never carries a value.
 */
export class UnresolvedPlaceholderError extends ValidationError {
  readonly field: string;
  readonly variable: string;

  constructor(issues: readonly (FieldIssue & { readonly variable: string })[], source?: string) {
    super(
      'UNRESOLVED_PLACEHOLDER',
      issues.map(({ path, message }) => ({ path, message })),
      source,
    );
    this.field = issues[0]?.path ?? '';
    this.variable = issues[0]?.variable ?? '';
  }
}

/** Why the outbound-address guard refused a URL. */
export type AddressRefusalReason =
  'scheme' | 'blocked-name' | 'special-address' | 'cloud-metadata' | 'unresolvable' | 'invalid-url';

/**
 * The outbound-address guard refused to let a connection reach `address` (`ADDRESS_REFUSED`):
 * `field` is the config field (`url`), `host` the URL's host, `address` the offending address (or
 * the host when it was refused by name), `range` the address class (`loopback`, `private`, ...).
 */
export class AddressRefusedError extends StrataError {
  readonly field: string;
  readonly host: string;
  readonly address: string;
  readonly reason: AddressRefusalReason;
  readonly range: string | undefined;

  constructor(details: {
    field: string;
    host: string;
    address: string;
    reason: AddressRefusalReason;
    range?: string;
    message: string;
  }) {
    super('ADDRESS_REFUSED', `${details.field}: ${details.message}`);
    this.field = details.field;
    this.host = details.host;
    this.address = details.address;
    this.reason = details.reason;
    this.range = details.range;
  }
}
