import { ValidationError } from '../errors/strata-error';

/** Server names: a letter or digit, then letters, digits, `_`, `-`, `.`; at most 64 characters. */
export const SERVER_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

/**
 * User ids come from identity providers (`auth0|abc`, ObjectIds, e-mail addresses): any printable
 * ASCII except whitespace, at most 128 characters. Keys encode them, so `*`, `{`, `:` are safe.
 */
export const USER_ID_PATTERN = /^[\x21-\x7e]{1,128}$/;

/** Names that would collide with object internals if a name ever became a property key. */
export const RESERVED_WORDS: ReadonlySet<string> = new Set([
  '__proto__',
  'constructor',
  'prototype',
  'hasOwnProperty',
  'isPrototypeOf',
  'propertyIsEnumerable',
  'toString',
  'toLocaleString',
  'valueOf',
  '__defineGetter__',
  '__defineSetter__',
  '__lookupGetter__',
  '__lookupSetter__',
]);

/** Why a name is refused, or undefined when it is fine. */
export function serverNameProblem(name: unknown): string | undefined {
  if (typeof name !== 'string') return 'must be a string';
  if (name.length === 0) return 'must not be empty';
  if (name.length > 64) return `must be at most 64 characters (got ${name.length})`;
  if (!SERVER_NAME_PATTERN.test(name)) {
    return 'must start with a letter or digit and contain only letters, digits, "_", "-" and "."';
  }
  if (RESERVED_WORDS.has(name)) return `"${name}" is a reserved word`;
  return undefined;
}

export function userIdProblem(userId: unknown): string | undefined {
  if (typeof userId !== 'string') return 'must be a string';
  if (userId.length === 0) return 'must not be empty';
  if (userId.length > 128) return `must be at most 128 characters (got ${userId.length})`;
  if (!USER_ID_PATTERN.test(userId)) return 'must be printable ASCII without spaces';
  if (RESERVED_WORDS.has(userId)) return `"${userId}" is a reserved word`;
  return undefined;
}

/** Throws `INVALID_NAME` naming `field` unless `name` is a valid server name. */
export function assertServerName(name: unknown, field = 'name'): asserts name is string {
  const problem = serverNameProblem(name);
  if (problem) throw new ValidationError('INVALID_NAME', [{ path: field, message: problem }]);
}

/** Throws `INVALID_USER_ID` naming `field` unless `userId` is a valid user id. */
export function assertUserId(userId: unknown, field = 'userId'): asserts userId is string {
  const problem = userIdProblem(userId);
  if (problem) throw new ValidationError('INVALID_USER_ID', [{ path: field, message: problem }]);
}
