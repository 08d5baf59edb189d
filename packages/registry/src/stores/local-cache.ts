import type { Clock } from '../runtime/clock';

export interface LocalCacheOptions {
  /** How long an entry is served after it was set. */
  readonly ttlMs: number;
  /** Most entries kept; the least recently set or read goes first. */
  readonly maxEntries: number;
  readonly clock: Clock;
}

/**
 * An instance's in-process copy of per-key values (a user's private servers): served while
 * younger than `ttlMs`, bounded to `maxEntries` (least recently used evicted), so a process that
 * sees a million users keeps at most `maxEntries`. Invalidation is the owner's job (`delete`).
 * The app and shared tiers use {@link TierNearCache} instead: one snapshot per tier revalidated
 * by the tier's version, which per-key expiry cannot express.
 */
export class LocalCache<V> {
  private readonly entries = new Map<string, { value: V; expiresAt: number }>();

  constructor(private readonly options: LocalCacheOptions) {}

  get size(): number {
    return this.entries.size;
  }

  /** The value if present and fresh. An expired entry is kept (see {@link getStale}) until evicted or deleted. */
  get(key: string): V | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    if (entry.expiresAt <= this.options.clock.now()) return undefined;
    // Map order is recency order: move it to the end.
    this.entries.delete(key);
    this.entries.set(key, entry);
    return entry.value;
  }

  /**
   * The value even if expired, when it expired less than `maxStaleMs` ago: what an owner may serve
   * while its source is unavailable. Deleted entries (invalidations) are never returned.
   */
  getStale(key: string, maxStaleMs: number): V | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    return this.options.clock.now() - entry.expiresAt < maxStaleMs ? entry.value : undefined;
  }

  set(key: string, value: V): void {
    if (this.options.ttlMs <= 0 || this.options.maxEntries <= 0) return;
    this.entries.delete(key);
    this.entries.set(key, { value, expiresAt: this.options.clock.now() + this.options.ttlMs });
    while (this.entries.size > this.options.maxEntries) {
      const oldest = this.entries.keys().next();
      if (oldest.done) break;
      this.entries.delete(oldest.value);
    }
  }

  delete(key: string): void {
    this.entries.delete(key);
  }

  clear(): void {
    this.entries.clear();
  }
}
