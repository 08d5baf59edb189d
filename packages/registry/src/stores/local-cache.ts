import { LRUCache } from 'lru-cache';
import type { Clock } from '../runtime/clock';

export interface LocalCacheOptions {
  /** How long an entry is served after it was set. */
  readonly ttlMs: number;
  /** Most entries kept; the least recently set or read goes first. */
  readonly maxEntries: number;
  readonly clock: Clock;
  /** Called once per entry evicted to make room (not for deletes, expiry or replacement). */
  readonly onEvict?: () => void;
}

interface Entry<V> {
  readonly value: V;
  readonly expiresAt: number;
}

/**
 * An instance's in-process copy of per-key values (a user's private servers): served while
 * younger than `ttlMs`, bounded to `maxEntries` by an LRU (`lru-cache`), so a process that sees a
 * million users keeps at most `maxEntries`; evictions are reported through `onEvict`.
 * Invalidation is the owner's job (`delete`).
 *
 * Expiry is this class's, not the library's: the owner's clock is injected (tests move it), and an
 * expired entry must stay readable by {@link getStale} until it is evicted or deleted, where
 * lru-cache drops or hides a stale entry on read. It sets no timer.
 *
 * The app and shared tiers use {@link TierNearCache} instead: one snapshot per tier revalidated
 * by the tier's version, which per-key expiry cannot express.
 */
export class LocalCache<V> {
  private readonly entries: LRUCache<string, Entry<V>> | undefined;

  constructor(private readonly options: LocalCacheOptions) {
    if (options.ttlMs <= 0 || options.maxEntries <= 0) return; // keeps nothing
    const onEvict = options.onEvict;
    this.entries = new LRUCache<string, Entry<V>>({
      max: options.maxEntries,
      ...(onEvict
        ? {
            disposeAfter: (_value: Entry<V>, _key: string, reason: LRUCache.DisposeReason) => {
              if (reason === 'evict') onEvict();
            },
          }
        : {}),
    });
  }

  get size(): number {
    return this.entries?.size ?? 0;
  }

  /** The value if present and fresh (and now the most recently used). An expired entry is kept for {@link getStale}. */
  get(key: string): V | undefined {
    const entry = this.entries?.peek(key);
    if (!entry || entry.expiresAt <= this.options.clock.now()) return undefined;
    this.entries?.get(key); // recency
    return entry.value;
  }

  /**
   * The value even if expired, when it expired less than `maxStaleMs` ago: what an owner may serve
   * while its source is unavailable. Deleted entries (invalidations) are never returned.
   */
  getStale(key: string, maxStaleMs: number): V | undefined {
    const entry = this.entries?.peek(key);
    if (!entry) return undefined;
    return this.options.clock.now() - entry.expiresAt < maxStaleMs ? entry.value : undefined;
  }

  set(key: string, value: V): void {
    this.entries?.set(key, { value, expiresAt: this.options.clock.now() + this.options.ttlMs });
  }

  delete(key: string): void {
    this.entries?.delete(key);
  }

  clear(): void {
    this.entries?.clear();
  }
}
