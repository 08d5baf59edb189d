import { ValidationError } from '../errors/strata-error';
import { RESERVED_WORDS } from './names';

/** Characters (code points) of a display name. */
export const MAX_DISPLAY_NAME_LENGTH = 128;
/** Characters of a slug, hash suffix included (a slug is always a valid `SERVER_NAME_PATTERN` name). */
export const MAX_SLUG_LENGTH = 64;
/** Characters of the readable part of a slug that carries a hash suffix (`-` + 8 hex digits follow). */
const SLUG_BASE_LENGTH = MAX_SLUG_LENGTH - 9;

/** Control characters, lone surrogates and bidirectional overrides/isolates: never in a display name. */
const FORBIDDEN_IN_DISPLAY_NAME = /[\p{Cc}\u202A-\u202E\u2066-\u2069]|\p{Cs}/u;

/**
 * Why a display name (the server name as people write it: `Clickhouse Local`, `brave-search (beta)`,
 * `日本語サーバー`) is refused, or undefined when it is fine: it must be a non-blank string of at most
 * `MAX_DISPLAY_NAME_LENGTH` characters without control characters.
 */
export function displayNameProblem(name: unknown): string | undefined {
  if (typeof name !== 'string') return 'must be a string';
  if (name.trim() === '') return 'must not be empty or blank';
  const length = [...name].length;
  if (length > MAX_DISPLAY_NAME_LENGTH) {
    return `must be at most ${MAX_DISPLAY_NAME_LENGTH} characters (got ${length})`;
  }
  if (FORBIDDEN_IN_DISPLAY_NAME.test(name)) return 'must not contain control characters';
  return undefined;
}

/** Throws `INVALID_NAME` naming `field` unless `name` is a valid display name. */
export function assertDisplayName(name: unknown, field = 'name'): asserts name is string {
  const problem = displayNameProblem(name);
  if (problem) throw new ValidationError('INVALID_NAME', [{ path: field, message: problem }]);
}

/** FNV-1a (32 bits) of the UTF-8 bytes of `text`, as 8 hex digits: short, stable, browser-safe. */
export function shortHash(text: string): string {
  let hash = 0x811c9dc5;
  for (const byte of new TextEncoder().encode(text)) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash.toString(16).padStart(8, '0');
}

/**
 * The key-safe slug of a display name: what keys, channels and tool-name prefixes use.
 *
 * Deterministic: NFKC, lowercase, every run of characters outside `[a-z0-9]` becomes `-`, leading
 * and trailing `-` trimmed. When that dropped characters (the slug differs from the NFKC-lowercased
 * name), or the result is empty, too long or a reserved word, the readable part is capped at 55
 * characters and `-` + 8 hex digits of a hash of the NFKC-lowercased name are appended, so
 * `Clickhouse Local` (`clickhouse-local-…`) and `clickhouse-local` stay apart. Names that differ
 * only by case or compatibility form (`GitHub`, `github`, `ＧｉｔＨｕｂ`) share a slug: one file
 * holding two of them is a `CONFLICT`. Every slug matches `SERVER_NAME_PATTERN` and is at most
 * `MAX_SLUG_LENGTH` characters.
 */
export function slugify(name: string): string {
  const folded = name.normalize('NFKC').toLowerCase();
  const base = folded.replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '');
  if (base === folded && base !== '' && base.length <= MAX_SLUG_LENGTH && !RESERVED_WORDS.has(base)) return base;
  const head = base.slice(0, SLUG_BASE_LENGTH).replace(/-+$/, '');
  const hash = shortHash(folded);
  return head === '' ? hash : `${head}-${hash}`;
}
