import { ValidationError, assertServerName, assertUserId } from '@strata/config';

/** Key prefixes: letters, digits, `_`, `-`; at most 32 characters. */
const PREFIX_PATTERN = /^[A-Za-z0-9_-]{1,32}$/;

/** The two database-independent tiers kept as whole namespaces. */
export type TierName = 'app' | 'shared';

/**
 * Percent-encodes every byte outside `[A-Za-z0-9_.-]` (UTF-8), `%` included, so the result
 * holds no glob character (`* ? [ ]`), no separator (`:`), no hash-tag brace (`{ }`) and no
 * whitespace. The mapping is injective: distinct inputs give distinct segments.
 */
export function encodeKeySegment(value: string): string {
  let out = '';
  for (const byte of Buffer.from(value, 'utf8')) {
    const char = String.fromCharCode(byte);
    out += /[A-Za-z0-9_.-]/.test(char) ? char : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/** Inverse of {@link encodeKeySegment}. */
export function decodeKeySegment(segment: string): string {
  return decodeURIComponent(segment);
}

/**
 * The one owner of Strata's Redis key layout. Every key that embeds a user id or a server name
 * validates and encodes it here; hash tags are decided here:
 *
 * | key | form | slot |
 * | --- | --- | --- |
 * | tier namespace (Keyv) | `{P:app}` / `{P:shared}` → values at `{P:app}::<name>` | one per tier |
 * | tier index (name → version; `#tier` version, `#hash` ready marker) | `{P:app}:index` | tier |
 * | tier leader lease | `{P:app}:leader`, `{P:shared}:leader` | tier |
 * | config version sequence | `{P:seq}` | own |
 * | change bus channel | `P:bus` | (pub/sub) |
 * | tool lists (Keyv) | `P:tools::s:<name>` (shared), `P:tools::u:<user>:<name>` (one user's) | own |
 * | per-user keys (private tier) | `{P:u:<user>}:<what>` | one per user |
 */
export class KeyBuilder {
  readonly prefix: string;

  constructor(prefix = 'strata') {
    if (!PREFIX_PATTERN.test(prefix)) {
      throw new ValidationError('INVALID_OPTIONS', [
        { path: 'keyPrefix', message: 'must be 1-32 letters, digits, "_" or "-"' },
      ]);
    }
    this.prefix = prefix;
  }

  /** Keyv namespace of a tier; Keyv stores a server at `${namespace}::${tierEntry(name)}`. */
  tierNamespace(tier: TierName): string {
    return `{${this.prefix}:${tier}}`;
  }

  /** The key inside a tier namespace for a server (validated, encoded). */
  tierEntry(name: string): string {
    assertServerName(name);
    return encodeKeySegment(name);
  }

  /** The full Redis key Keyv uses for a server of a tier (what Lua writes). */
  tierValueKey(tier: TierName, name: string): string {
    return `${this.tierNamespace(tier)}::${this.tierEntry(name)}`;
  }

  tierIndexKey(tier: TierName): string {
    return `${this.tierNamespace(tier)}:index`;
  }

  appLeaderKey(): string {
    return this.tierLeaderKey('app');
  }

  /** The lease of the instance that (re)builds a tier. */
  tierLeaderKey(tier: TierName): string {
    return `${this.tierNamespace(tier)}:leader`;
  }

  versionSequenceKey(): string {
    return `{${this.prefix}:seq}`;
  }

  /** Keyv namespace of per-server tool lists; entries are keyed by (validated) server name. */
  toolsNamespace(): string {
    return `${this.prefix}:tools`;
  }

  /**
   * The key inside the tools namespace: one entry per server, or per (user, server) for a server
   * whose tools depend on the user (per-user placeholders, a user's API key).
   */
  toolsEntry(name: string, userId?: string): string {
    assertServerName(name);
    if (userId === undefined) return `s:${encodeKeySegment(name)}`;
    assertUserId(userId);
    return `u:${encodeKeySegment(userId)}:${encodeKeySegment(name)}`;
  }

  busChannel(): string {
    return `${this.prefix}:bus`;
  }

  /** Hash tag shared by every key of one user: all of a user's keys live in one slot. */
  userTag(userId: string): string {
    assertUserId(userId);
    return `{${this.prefix}:u:${encodeKeySegment(userId)}}`;
  }

  /** A per-user key, e.g. `userKey(id, 'flag')` → `{strata:u:<id>}:flag`. */
  userKey(userId: string, what: string): string {
    if (!/^[a-z][a-z0-9-]{0,31}$/.test(what)) throw new Error(`bad per-user key kind: ${what}`);
    return `${this.userTag(userId)}:${what}`;
  }
}
