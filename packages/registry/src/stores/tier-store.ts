import type { TierName } from '../keys/key-builder';
import type { ChangeEvent } from '../model/change-event';
import type { StoredServer } from '../model/stored-server';

/** A tier read in one consistent step. */
export interface TierSnapshot {
  /** Bumped by every change to the tier; starts again after the tier is lost. */
  readonly tierVersion: number;
  /**
   * Set by every whole replace; '' when the tier was never replaced or was lost (a Redis flush or
   * eviction). A different epoch is a different tier: its versions do not compare with the old ones.
   */
  readonly epoch: string;
  /** The servers; `undefined` when the tier version equals the one the caller already holds. */
  readonly servers: readonly StoredServer[] | undefined;
}

export interface PutResult {
  readonly written: boolean;
  /** The tier version after the write (when written). */
  readonly tierVersion: number;
  /** The stored config version when the write was refused as stale. */
  readonly storedVersion?: number;
}

/** A tier's version and the content hash recorded by its last whole replace (the app tier's ready marker). */
export interface TierMeta {
  readonly tierVersion: number;
  readonly epoch: string;
  readonly contentHash: string | undefined;
}

export interface ReplaceOptions {
  /** Refuse (replaced: false) unless the tier version is still this one. */
  readonly expectedTierVersion?: number;
  /** Published atomically with the replace. */
  readonly event?: ChangeEvent;
  /** Recorded with the replace, read back by {@link TierStore.meta}. */
  readonly contentHash?: string;
}

export interface ReplaceResult {
  readonly replaced: boolean;
  readonly tierVersion: number;
}

/**
 * One tier (app or shared) in a namespaced Keyv cache, with an index so that listing never scans.
 * Writes are atomic with the event they publish. One conformance suite runs against every
 * implementation (memory, Redis standalone, Redis cluster).
 */
export interface TierStore {
  readonly tier: TierName;
  get(name: string): Promise<StoredServer | undefined>;
  meta(): Promise<TierMeta>;
  /** A consistent snapshot; `servers` is undefined when the tier is still at `known` (version and epoch). */
  snapshot(known?: { readonly tierVersion: number; readonly epoch: string }): Promise<TierSnapshot>;
  /** Writes the server unless the stored version is the same or newer (then `written` is false). */
  put(server: StoredServer, event?: ChangeEvent): Promise<PutResult>;
  /** Removes a server; false when it was not there. */
  remove(name: string, event?: ChangeEvent): Promise<boolean>;
  /**
   * Replaces the whole tier in one atomic step. With `expectedTierVersion`, refuses (replaced:
   * false) when another writer changed the tier since it was read.
   */
  replaceAll(servers: readonly StoredServer[], options?: ReplaceOptions): Promise<ReplaceResult>;
}
