import type { StoredServer } from '../model/stored-server';
import type { TierStore } from './tier-store';
import { describeError, type Logger } from '../runtime/logger';
import type { Clock } from '../runtime/clock';

export interface NearCacheOptions {
  /**
   * Longest time a snapshot is served without asking Redis whether the tier changed; bounds how
   * long a lost bus message can keep an old config alive. @defaultValue 1000
   */
  readonly maxStalenessMs: number;
  /** After a failed refresh, how long the old snapshot is served before trying again. @defaultValue 250 */
  readonly retryAfterMs: number;
  readonly clock: Clock;
  readonly logger: Logger;
  /**
   * Called when storage answers with a tier that has lost its epoch (a flush or an eviction emptied
   * it) while this cache holds one that had an epoch: the owner rebuilds the tier. Meanwhile the
   * last snapshot keeps being served.
   */
  readonly onLost?: () => void;
}

interface Snapshot {
  readonly tierVersion: number;
  readonly epoch: string;
  readonly byName: ReadonlyMap<string, StoredServer>;
  /** When the fetch that confirmed it started (conservative: the data is at least this fresh). */
  readonly checkedAt: number;
}

/**
 * An instance's in-process copy of one tier. Served without a round trip while younger than
 * `maxStalenessMs` and not invalidated by the bus; then revalidated with one round trip that
 * returns only "unchanged" when the tier version is the same. When Redis fails, reads keep
 * getting the last snapshot (refreshes retried every `retryAfterMs`); `refresh()` throws.
 */
/** Counters of one near cache (counted, never guessed). */
export interface NearCacheStats {
  /** Reads served from the copy without a round trip. */
  hits: number;
  /** Reads that had to revalidate (or fetch) first. */
  misses: number;
  /** Revalidations that failed (Redis unavailable); the last snapshot was served meanwhile. */
  refreshFailures: number;
  /** Revalidations that found the tier gone from storage (then rebuilt). */
  lostTiers: number;
}

export class TierNearCache {
  readonly stats: NearCacheStats = { hits: 0, misses: 0, refreshFailures: 0, lostTiers: 0 };
  private snapshot: Snapshot | undefined;
  /** Bumped by every invalidation: a fetch that started before one cannot mark the cache clean. */
  private epoch = 0;
  private cleanEpoch = -1;
  private inflight: { epoch: number; promise: Promise<ReadonlyMap<string, StoredServer>> } | undefined;
  private retryAt = 0;

  constructor(
    private readonly store: TierStore,
    private readonly options: NearCacheOptions,
  ) {}

  /** Marks the copy stale: the next read revalidates. Called for every bus event of the tier. */
  invalidate(): void {
    this.epoch += 1;
  }

  /** Drops the copy entirely. */
  clear(): void {
    this.snapshot = undefined;
    this.invalidate();
  }

  /** The snapshot if it may be served without a round trip (fresh and not invalidated), else undefined. */
  peek(): ReadonlyMap<string, StoredServer> | undefined {
    const snapshot = this.snapshot;
    if (!snapshot || this.cleanEpoch !== this.epoch) return undefined;
    if (this.options.clock.now() - snapshot.checkedAt >= this.options.maxStalenessMs) return undefined;
    this.stats.hits += 1;
    return snapshot.byName;
  }

  /** The tier's servers by name. */
  read(): Promise<ReadonlyMap<string, StoredServer>> {
    const snapshot = this.snapshot;
    const now = this.options.clock.now();
    if (snapshot && this.cleanEpoch === this.epoch && now - snapshot.checkedAt < this.options.maxStalenessMs) {
      this.stats.hits += 1;
      return Promise.resolve(snapshot.byName);
    }
    this.stats.misses += 1;
    if (snapshot && now < this.retryAt) return Promise.resolve(snapshot.byName);
    if (!snapshot) return this.refresh();
    // Redis failing: keep serving the last snapshot (reads keep working), and say so.
    return this.refresh().catch((error: unknown) => {
      this.options.logger.warn('near cache: serving the last snapshot, refresh failed', {
        tier: this.store.tier,
        tierVersion: snapshot.tierVersion,
        ...describeError(error),
      });
      return snapshot.byName;
    });
  }

  /**
   * Revalidates now, whatever the age: up to date, or it throws (writes decide on it — "is this
   * name reserved" — and must never decide on a stale copy).
   */
  refresh(): Promise<ReadonlyMap<string, StoredServer>> {
    if (this.inflight && this.inflight.epoch === this.epoch) return this.inflight.promise;
    const epoch = this.epoch;
    const promise = this.fetch(epoch).finally(() => {
      if (this.inflight?.promise === promise) this.inflight = undefined;
    });
    this.inflight = { epoch, promise };
    return promise;
  }

  private async fetch(epoch: number): Promise<ReadonlyMap<string, StoredServer>> {
    const startedAt = this.options.clock.now();
    const previous = this.snapshot;
    try {
      const result = await this.store.snapshot(
        previous ? { tierVersion: previous.tierVersion, epoch: previous.epoch } : undefined,
      );
      if (previous && previous.epoch !== '' && result.epoch === '') {
        // The tier is gone from storage: serve the last snapshot until it is rebuilt, never an empty tier.
        this.stats.lostTiers += 1;
        this.options.onLost?.();
        if (this.snapshot === previous) this.snapshot = { ...previous, checkedAt: startedAt };
      } else {
        const byName = result.servers
          ? new Map(result.servers.map((server) => [server.name, server] as const))
          : (previous?.byName ?? new Map<string, StoredServer>());
        // Never replace a newer snapshot (from a fetch that finished first) with an older one; a new
        // epoch is a rebuilt tier, whose versions start again.
        const current = this.snapshot;
        if (
          !current ||
          current === previous ||
          (result.epoch === current.epoch && result.tierVersion >= current.tierVersion)
        ) {
          this.snapshot = { tierVersion: result.tierVersion, epoch: result.epoch, byName, checkedAt: startedAt };
        }
      }
      if (this.epoch === epoch) this.cleanEpoch = epoch;
      this.retryAt = 0;
      return this.snapshot?.byName ?? new Map<string, StoredServer>();
    } catch (error) {
      this.stats.refreshFailures += 1;
      this.retryAt = this.options.clock.now() + this.options.retryAfterMs;
      throw error;
    }
  }
}
