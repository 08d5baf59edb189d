import type { StoredServer } from '../model/stored-server';

/** What is cached for one user: the loaded flag is the entry's existence; it expires as one. */
export interface UserEntry {
  readonly servers: readonly StoredServer[];
  /** The user's generation the load committed against. */
  readonly generation: number;
  /** ISO time of the commit, for people. */
  readonly loadedAt: string;
}

export type LoadLockAttempt =
  | { readonly acquired: true; readonly token: string; readonly generation: number }
  | { readonly acquired: false; readonly remainingMs: number }
  /** Loaded by someone else since the caller's warm check: read it. */
  | { readonly acquired: false; readonly loaded: true };

export type CommitOutcome =
  | { readonly status: 'committed' }
  | { readonly status: 'lock-lost' }
  | { readonly status: 'stale-generation'; readonly generation: number };

/**
 * Storage of the private tier, one implementation per backend (memory, Redis); every operation on
 * one user is atomic. The loaded flag and the data are one entry with one TTL.
 */
export interface PrivateStore {
  /** The user's entry, if loaded and not expired (the warm check: one round trip). */
  read(userId: string): Promise<UserEntry | undefined>;
  /**
   * Takes the user's load lock and reads the user's generation in one step, unless already loaded.
   * `token` (default: a new random one) is the lock's owner token: a caller that passes its own can
   * release an attempt whose answer it never got.
   */
  acquire(userId: string, ttlMs: number, token?: string): Promise<LoadLockAttempt>;
  /** Extends the lock; false if it was lost. */
  renew(userId: string, token: string, ttlMs: number): Promise<boolean>;
  /** Releases the lock if still owned. */
  release(userId: string, token: string): Promise<boolean>;
  /**
   * Fenced commit: token and generation checked, entry written with `ttlMs`, lock released and
   * `user.loaded` published, in one step. A stale generation releases the lock and publishes
   * `user.unlocked` (waiters try again at once).
   */
  commit(userId: string, token: string, entry: UserEntry, ttlMs: number, origin: string): Promise<CommitOutcome>;
  /** Decodes the entry a `user.loaded` event carries; undefined when it is absent or malformed. */
  decode(raw: string): Promise<UserEntry | undefined>;
  /** Bumps each user's generation, drops their entries, publishes `users.invalidated`. */
  invalidate(userIds: readonly string[], origin: string): Promise<void>;
}
