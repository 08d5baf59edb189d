/**
 * Reply codes of every Lua script, named once (each script's header lists the same codes). Replies
 * are arrays whose first element is the code; callers compare against these names, never bare numbers.
 */
export const REPLY = {
  /** acquire-lease-1: `{ ACQUIRED, ttlMs }` | `{ HELD, remainingMs }`. */
  acquireLease: { ACQUIRED: 1, HELD: 0 },
  /** renew-lease-1: `{ RENEWED }` | `{ LOST }`. */
  renewLease: { RENEWED: 1, LOST: 0 },
  /** release-lease-1: `{ RELEASED }` | `{ NOT_OWNED }`. */
  releaseLease: { RELEASED: 1, NOT_OWNED: 0 },
  /** acquire-load-3: `{ ACQUIRED, generation }` | `{ HELD, remainingMs }` | `{ LOADED }`. */
  acquireLoad: { ACQUIRED: 1, HELD: 0, LOADED: 2 },
  /** commit-load-3: `{ COMMITTED }` | `{ LOCK_LOST }` | `{ STALE_GENERATION, generation }`. */
  commitLoad: { COMMITTED: 1, LOCK_LOST: -1, STALE_GENERATION: -2 },
  /** put-server-2: `{ WRITTEN, tierVersion }` | `{ REFUSED, storedVersion }`. */
  putServer: { WRITTEN: 1, REFUSED: 0 },
  /** remove-server-2: `{ REMOVED, tierVersion }` | `{ ABSENT, 0 }`. */
  removeServer: { REMOVED: 1, ABSENT: 0 },
  /** replace-tier-1: `{ REPLACED, tierVersion }` | `{ REFUSED, tierVersion }`. */
  replaceTier: { REPLACED: 1, REFUSED: 0 },
} as const;

/** A script reply: an array of numbers, strings, nils and nested arrays. */
export type ScriptReply = ReadonlyArray<number | string | null | ReadonlyArray<string | null>>;

/** The reply's code (its first element). */
export function replyCode(reply: ScriptReply): number {
  return Number(reply[0]);
}

/** The reply's element `index` as a number (0 when absent). */
export function replyNumber(reply: ScriptReply, index: number): number {
  return Number(reply[index] ?? 0);
}
