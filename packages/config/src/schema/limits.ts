import { LimitError, ValidationError } from '../errors/strata-error';

/**
 * Documented maxima. Every one is checked before the schema runs, so an oversized input is refused
 * with `LIMIT_EXCEEDED` naming the constant and the field, and nothing of it is returned as valid.
 */

/** A server config serialized as JSON (UTF-8 bytes): 256 KiB, room for long `serverInstructions`. */
export const MAX_CONFIG_BYTES = 256 * 1024;
/** Entries of a stdio `args` list. */
export const MAX_ARGS = 256;
/** Characters of one `args` entry. */
export const MAX_ARG_LENGTH = 8 * 1024;
/** Entries of an `env` map. */
export const MAX_ENV_ENTRIES = 256;
/** Entries of a `headers` (or `oauth_headers`) map. */
export const MAX_HEADER_ENTRIES = 64;
/** Characters of one `env` or header value. */
export const MAX_RECORD_VALUE_LENGTH = 16 * 1024;
/** A tool call's arguments serialized as JSON (UTF-8 bytes): 1 MiB. */
export const MAX_TOOL_ARGUMENTS_BYTES = 1024 * 1024;
/** Private servers one user may own. */
export const MAX_PRIVATE_SERVERS_PER_USER = 100;
/** Servers in one config file or import. */
export const MAX_SERVERS_PER_FILE = 1000;
/** A config file's text (UTF-8 bytes): 4 MiB. */
export const MAX_FILE_BYTES = 4 * 1024 * 1024;

/** Every limit by name, for documentation and for the API's error bodies. */
export const LIMITS = {
  MAX_CONFIG_BYTES,
  MAX_ARGS,
  MAX_ARG_LENGTH,
  MAX_ENV_ENTRIES,
  MAX_HEADER_ENTRIES,
  MAX_RECORD_VALUE_LENGTH,
  MAX_TOOL_ARGUMENTS_BYTES,
  MAX_PRIVATE_SERVERS_PER_USER,
  MAX_SERVERS_PER_FILE,
  MAX_FILE_BYTES,
} as const;

const encoder = new TextEncoder();

/** UTF-8 byte length of a string. */
export function utf8Length(text: string): number {
  return encoder.encode(text).length;
}

/** JSON byte size of a value, or Infinity when it cannot be serialized (cycles, BigInt). */
export function jsonBytes(value: unknown): number {
  try {
    const text = JSON.stringify(value);
    return text === undefined ? 0 : utf8Length(text);
  } catch {
    return Number.POSITIVE_INFINITY;
  }
}

function join(prefix: string, field: string): string {
  return prefix === '' ? field : `${prefix}.${field}`;
}

/**
 * Checks a raw (unvalidated) server config against the limits; throws `LimitError` naming the
 * first limit exceeded. Shapes it does not recognise are left to the schema.
 */
export function checkConfigLimits(input: unknown, pathPrefix = '', source?: string): void {
  const fail = (limit: keyof typeof LIMITS, path: string, what: string): never => {
    throw new LimitError(limit, LIMITS[limit], path, what, source);
  };
  const bytes = jsonBytes(input);
  if (bytes === Number.POSITIVE_INFINITY) {
    throw new ValidationError(
      'INVALID_CONFIG',
      [{ path: pathPrefix === '' ? 'config' : pathPrefix, message: 'must be plain JSON data (no cycles, no BigInt)' }],
      source,
    );
  }
  if (bytes > MAX_CONFIG_BYTES) fail('MAX_CONFIG_BYTES', pathPrefix, `a config of ${bytes} bytes`);
  if (typeof input !== 'object' || input === null) return;
  const config = input as Record<string, unknown>;
  const args = config['args'];
  if (Array.isArray(args)) {
    if (args.length > MAX_ARGS) fail('MAX_ARGS', join(pathPrefix, 'args'), `${args.length} arguments`);
    args.forEach((arg: unknown, index) => {
      if (typeof arg === 'string' && arg.length > MAX_ARG_LENGTH) {
        fail('MAX_ARG_LENGTH', join(pathPrefix, `args.${index}`), `an argument of ${arg.length} characters`);
      }
    });
  }
  const records = [
    ['env', 'MAX_ENV_ENTRIES'],
    ['headers', 'MAX_HEADER_ENTRIES'],
    ['oauth_headers', 'MAX_HEADER_ENTRIES'],
  ] as const;
  for (const [field, limit] of records) {
    const record = config[field];
    if (typeof record !== 'object' || record === null || Array.isArray(record)) continue;
    const path = join(pathPrefix, field);
    const entries = Object.entries(record);
    if (entries.length > LIMITS[limit]) fail(limit, path, `${entries.length} entries`);
    for (const [key, value] of entries) {
      if (typeof value === 'string' && value.length > MAX_RECORD_VALUE_LENGTH) {
        fail('MAX_RECORD_VALUE_LENGTH', `${path}.${key}`, `a value of ${value.length} characters`);
      }
    }
  }
}

/**
 * Checks a tool call's arguments against `MAX_TOOL_ARGUMENTS_BYTES` (the connection layer calls it
 * before a call leaves the process); throws `LimitError` on `path`.
 */
export function checkToolArguments(args: unknown, path = 'arguments'): void {
  const bytes = jsonBytes(args);
  if (bytes > MAX_TOOL_ARGUMENTS_BYTES) {
    throw new LimitError('MAX_TOOL_ARGUMENTS_BYTES', MAX_TOOL_ARGUMENTS_BYTES, path, `arguments of ${bytes} bytes`);
  }
}

/**
 * Checks that a user who owns `owned` private servers may create `adding` more; throws
 * `LimitError('MAX_PRIVATE_SERVERS_PER_USER')` otherwise.
 */
export function checkPrivateServerCount(owned: number, adding = 1, path = 'servers'): void {
  if (owned + adding > MAX_PRIVATE_SERVERS_PER_USER) {
    throw new LimitError(
      'MAX_PRIVATE_SERVERS_PER_USER',
      MAX_PRIVATE_SERVERS_PER_USER,
      path,
      `${owned + adding} private servers`,
    );
  }
}
