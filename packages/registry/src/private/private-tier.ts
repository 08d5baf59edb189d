import { randomBytes } from 'node:crypto';
import type { StoredServer } from '../model/stored-server';
import { parseServerConfig, StrataError, assertUserId, serverNameProblem } from '@strata/config';
import { describeError, silentLogger, type Logger } from '../runtime/logger';
import type { ChangeBus } from '../bus/change-bus';
import type { ChangeEvent } from '../model/change-event';
import { systemClock, type Clock } from '../runtime/clock';
import type { PrivateTierSource } from '../model/private-tier-source';
import { newLeaseToken } from '../lease/lease';
import { LeaseWatchdog } from '../lease/lease-watchdog';
import { LocalCache } from '../stores/local-cache';
import type { LoadLockAttempt, PrivateStore, UserEntry } from '../stores/private-store';
import {
  checkPrivateTierOptions,
  DEFAULT_PRIVATE_TIER_OPTIONS,
  type PrivateLoader,
  type PrivateTierHooks,
  type PrivateTierOptions,
} from './private-tier-options';

type UserEvent = Extract<ChangeEvent, { userId: string }>;
type UsersEvent = Extract<ChangeEvent, { userIds: string[] }>;

/** Counters for metrics and tests (counted, never guessed). */
export interface PrivateTierStats {
  loaderCalls: number;
  commits: number;
  staleGenerationDrops: number;
  lockLost: number;
  waits: number;
  /** Reads answered from this process's copy (no round trip). */
  nearHits: number;
  /** Reads that went to the store (warm round trip or a load). */
  nearMisses: number;
  /** Reads answered from an expired copy because Redis was unavailable. */
  staleServed: number;
  /** Users' copies evicted from this process's LRU to stay within `nearCacheMaxUsers`. */
  nearEvictions: number;
}

/**
 * The private tier (docs/architecture.md, "The private tier"): a user's private servers are loaded lazily, once across all
 * instances, under a fenced Redis load lock, committed with the loaded flag as one entry with one
 * TTL, and dropped by a generation bump whenever the user's access changes.
 */
export class PrivateTier implements PrivateTierSource {
  readonly stats: PrivateTierStats = {
    loaderCalls: 0,
    commits: 0,
    staleGenerationDrops: 0,
    lockLost: 0,
    waits: 0,
    nearHits: 0,
    nearMisses: 0,
    staleServed: 0,
    nearEvictions: 0,
  };
  readonly instanceId: string;
  private readonly store: PrivateStore;
  private readonly bus: ChangeBus;
  private readonly loader: PrivateLoader;
  private readonly logger: Logger;
  private readonly clock: Clock;
  private readonly hooks: PrivateTierHooks;
  private readonly lockTtlMs: number;
  private readonly dataTtlMs: number;
  private readonly loadTimeoutMs: number;
  private readonly maxCommitAttempts: number;
  private readonly local: LocalCache<UserEntry>;
  private readonly staleIfErrorMs: number;
  /**
   * Bumped by every invalidation this process sees. One counter, not one per user: it stays
   * bounded, and an unrelated invalidation only costs an uncached load its local copy.
   */
  private invalidations = 0;
  private readonly inflight = new Map<string, Promise<UserEntry>>();
  private readonly waiters = new Map<string, Set<(event: UserEvent) => void>>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly watchdogs = new Set<LeaseWatchdog>();
  private unsubscribe: (() => void) | undefined;
  private closed = false;

  constructor(options: PrivateTierOptions) {
    checkPrivateTierOptions(options);
    this.store = options.store;
    this.bus = options.bus;
    this.loader = options.loader;
    this.logger = options.logger ?? silentLogger;
    this.clock = options.clock ?? systemClock;
    this.hooks = options.hooks ?? {};
    this.instanceId = options.instanceId ?? randomBytes(6).toString('hex');
    this.lockTtlMs = options.lockTtlMs ?? DEFAULT_PRIVATE_TIER_OPTIONS.lockTtlMs;
    this.dataTtlMs = options.dataTtlMs ?? DEFAULT_PRIVATE_TIER_OPTIONS.dataTtlMs;
    this.loadTimeoutMs = options.loadTimeoutMs ?? 3 * this.lockTtlMs;
    this.staleIfErrorMs = options.staleIfErrorMs ?? DEFAULT_PRIVATE_TIER_OPTIONS.staleIfErrorMs;
    this.local = new LocalCache<UserEntry>({
      ttlMs: options.nearCacheTtlMs ?? DEFAULT_PRIVATE_TIER_OPTIONS.nearCacheTtlMs,
      maxEntries: options.nearCacheMaxUsers ?? DEFAULT_PRIVATE_TIER_OPTIONS.nearCacheMaxUsers,
      clock: this.clock,
      onEvict: () => {
        this.stats.nearEvictions += 1;
      },
    });
    this.maxCommitAttempts = options.maxCommitAttempts ?? DEFAULT_PRIVATE_TIER_OPTIONS.maxCommitAttempts;
  }

  /** Subscribes to the bus (user events). Call once before use. */
  async start(): Promise<void> {
    this.unsubscribe ??= this.bus.subscribe((event) => {
      if ('userId' in event) this.onUserEvent(event);
      else if (event.type === 'users.invalidated') this.onUsersInvalidated(event);
    });
    await this.bus.start();
  }

  /** The login hook: makes sure the user's private servers are loaded; returns them. */
  async ensureLoaded(userId: string): Promise<readonly StoredServer[]> {
    return (await this.entry(userId)).servers;
  }

  /** {@link PrivateTierSource}: read paths load by themselves, so expiry never hides servers. */
  getServers(userId: string): Promise<readonly StoredServer[]> {
    return this.ensureLoaded(userId);
  }

  /**
   * Access changed for these users: bump their generations (fencing in-flight loads), drop their
   * cached servers everywhere. Resolves once done on Redis and on this instance.
   */
  async invalidateUsers(userIds: readonly string[]): Promise<void> {
    userIds.forEach((userId) => assertUserId(userId));
    const unique = [...new Set(userIds)];
    this.forget(unique);
    await this.store.invalidate(unique, this.instanceId);
    this.forget(unique);
  }

  close(): void {
    this.closed = true;
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    this.timers.forEach((timer) => clearTimeout(timer));
    this.timers.clear();
    const closed = new StrataError('CLOSED', 'the private tier was closed during the load');
    this.watchdogs.forEach((watchdog) => watchdog.abort(closed)); // the loader is told through its signal
    this.watchdogs.clear();
    this.local.clear();
    for (const [userId, wakes] of this.waiters) {
      wakes.forEach((wake) => wake({ type: 'user.load-failed', userId, reason: 'closed', origin: this.instanceId }));
    }
    this.waiters.clear();
  }

  private entry(userId: string): Promise<UserEntry> {
    assertUserId(userId);
    if (this.closed) return Promise.reject(new StrataError('CLOSED', 'the private tier is closed'));
    const cached = this.local.get(userId);
    if (cached) {
      this.stats.nearHits += 1;
      return Promise.resolve(cached);
    }
    this.stats.nearMisses += 1;
    const joined = this.inflight.get(userId);
    if (joined) return joined;
    const pending: Promise<UserEntry> = this.load(userId)
      .catch((error: unknown) => {
        // Redis unavailable: a user this process holds a recent copy of keeps being served (no
        // invalidation can be delivered while Redis is down; a copy an invalidation reached is gone).
        const stale =
          error instanceof StrataError && error.code === 'REDIS_UNAVAILABLE'
            ? this.local.getStale(userId, this.staleIfErrorMs)
            : undefined;
        if (!stale) throw error;
        this.stats.staleServed += 1;
        return stale;
      })
      .finally(() => {
        if (this.inflight.get(userId) === pending) this.inflight.delete(userId);
      });
    this.inflight.set(userId, pending);
    return pending;
  }

  /**
   * One load with a hard deadline: the caller has its answer or `LOAD_TIMEOUT` within
   * `loadTimeoutMs` of the call, whatever Redis or the loader does (the warm read, the lock, a wait,
   * the loader and the commit all count). Work still under way at the deadline finishes on its own;
   * a holder's loader is aborted at the same deadline (see {@link loadAsHolder}).
   */
  private load(userId: string): Promise<UserEntry> {
    const deadline = this.clock.now() + this.loadTimeoutMs;
    const work = this.loadBefore(userId, deadline);
    let timer: NodeJS.Timeout | undefined;
    const expired = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(this.loadTimeout()), this.loadTimeoutMs);
      timer.unref(); // the work itself keeps the process alive while it matters
    });
    work.catch(() => undefined); // past the deadline its failure is nobody's answer (the holder path logs and tells waiters)
    return Promise.race([work, expired]).finally(() => clearTimeout(timer));
  }

  private loadTimeout(): StrataError {
    return new StrataError('LOAD_TIMEOUT', `private servers not loaded within ${this.loadTimeoutMs} ms`);
  }

  private async loadBefore(userId: string, deadline: number): Promise<UserEntry> {
    const epoch = this.invalidations;
    const remember = (entry: UserEntry): UserEntry => this.remember(userId, entry, epoch);
    const warm = await this.store.read(userId);
    if (warm) return remember(warm);
    let staleCommits = 0;
    for (;;) {
      const remaining = deadline - this.clock.now();
      if (remaining <= 0) throw this.loadTimeout();
      // Listen before trying the lock, so a "loaded" published in between is not missed.
      const wait = this.listen(userId);
      try {
        const attempt = await this.acquire(userId);
        if (attempt.acquired) {
          wait.cancel();
          const entry = await this.loadAsHolder(userId, attempt.token, attempt.generation, deadline);
          if (entry) return remember(entry);
          staleCommits += 1;
          if (staleCommits >= this.maxCommitAttempts) {
            throw new StrataError('STALE_GENERATION', `access kept changing during ${staleCommits} loads; try again`);
          }
          continue;
        }
        if ('loaded' in attempt) {
          wait.cancel();
          const entry = await this.store.read(userId);
          if (entry) return remember(entry);
          continue; // expired or invalidated in between: try again
        }
        this.stats.waits += 1;
        this.hooks.onWait?.(userId);
        const event = await wait.until(Math.max(1, Math.min(attempt.remainingMs + 1, remaining)));
        if (this.closed) throw new StrataError('CLOSED', 'the private tier was closed during the wait');
        if (event?.type === 'user.load-failed') {
          throw new StrataError('LOAD_FAILED', `loading private servers failed on another instance: ${event.reason}`);
        }
        // The commit's announcement carries the entry: no follow-up read on the wake path.
        const carried = event?.type === 'user.loaded' && event.entry ? await this.store.decode(event.entry) : undefined;
        if (carried && event?.type === 'user.loaded' && carried.generation === event.generation) {
          return remember(carried);
        }
      } finally {
        wait.cancel();
      }
      const loaded = await this.store.read(userId);
      if (loaded) return remember(loaded);
    }
  }

  /**
   * Tries the user's load lock. When the attempt fails with Redis unavailable (a deadline passed
   * while Redis was paused), Redis may still run it when it answers again — a lock held by a token
   * nobody uses, and every caller for this user would wait out its TTL. So the owner-checked
   * release of that token and a `user.unlocked` are sent right behind it on the same connection:
   * Redis runs them in order, after the late acquire (or finds nothing to release).
   */
  private async acquire(userId: string): Promise<LoadLockAttempt> {
    const token = newLeaseToken();
    try {
      return await this.store.acquire(userId, this.lockTtlMs, token);
    } catch (error) {
      if (error instanceof StrataError && error.code === 'REDIS_UNAVAILABLE') {
        void this.store
          .release(userId, token)
          .catch(() => false)
          .then(() => this.bus.publish({ type: 'user.unlocked', userId, origin: this.instanceId }))
          .catch(() => undefined);
      }
      throw error;
    }
  }

  /**
   * Runs the loader under the lock; undefined when the commit was refused as stale. The loader's
   * signal aborts when the lease is lost or the deadline passes; at the deadline the holder gives up
   * even if the loader ignores its signal: the lock is released and waiters are told
   * (`user.load-failed`), so a hung database query cannot hold a user's lock for ever.
   */
  private async loadAsHolder(
    userId: string,
    token: string,
    generation: number,
    deadline: number,
  ): Promise<UserEntry | undefined> {
    const watchdog = new LeaseWatchdog({
      renew: () => this.store.renew(userId, token, this.lockTtlMs),
      ttlMs: this.lockTtlMs,
      logger: this.logger,
      label: 'private tier load lock',
    });
    this.watchdogs.add(watchdog); // close() stops it (and aborts the loader) even if the loader never returns
    try {
      let servers: StoredServer[];
      try {
        this.stats.loaderCalls += 1;
        servers = this.toStored(await this.runLoader(userId, watchdog.signal, deadline));
      } catch (error) {
        await this.store.release(userId, token).catch(() => undefined);
        const reason = error instanceof StrataError ? error.code : 'loader error';
        await this.bus
          .publish({ type: 'user.load-failed', userId, reason, origin: this.instanceId })
          .catch(() => undefined);
        throw error;
      }
      await this.hooks.beforeCommit?.(userId);
      const entry: UserEntry = { servers, generation, loadedAt: new Date(this.clock.now()).toISOString() };
      const outcome = watchdog.lost
        ? ({ status: 'lock-lost' } as const)
        : await this.store
            .commit(userId, token, entry, this.dataTtlMs, this.instanceId)
            .catch(async (error: unknown) => {
              // The commit failed (Redis unavailable): end the lock if we still can and tell the
              // waiters, so nobody sleeps until the lock's TTL for a load that will not commit.
              await this.store.release(userId, token).catch(() => false);
              await this.bus.publish({ type: 'user.unlocked', userId, origin: this.instanceId }).catch(() => undefined);
              throw error;
            });
      if (outcome.status === 'committed') {
        this.stats.commits += 1;
        return entry;
      }
      if (outcome.status === 'lock-lost') {
        this.stats.lockLost += 1;
        if (watchdog.lost) await this.store.release(userId, token).catch(() => false); // owner-checked: never another's lock
        this.logger.warn('private tier: commit refused, the load lock was lost', {});
        throw new StrataError('LOCK_LOST', 'the load lock expired before the commit; nothing was written');
      }
      this.stats.staleGenerationDrops += 1;
      this.logger.info('private tier: commit dropped, access changed during the load', {
        readGeneration: generation,
        currentGeneration: outcome.generation,
      });
      return undefined;
    } finally {
      watchdog.stop();
      this.watchdogs.delete(watchdog);
    }
  }

  /** The loader, bounded by the deadline and by the lease (either aborts its signal and ends the wait). */
  private async runLoader(
    userId: string,
    lease: AbortSignal,
    deadline: number,
  ): Promise<Awaited<ReturnType<PrivateLoader>>> {
    const timeout = new AbortController();
    const timer = setTimeout(() => timeout.abort(this.loadTimeout()), Math.max(0, deadline - this.clock.now()));
    const signal = AbortSignal.any([lease, timeout.signal]);
    try {
      const aborted = new Promise<never>((_, reject) => {
        const stop = (): void =>
          reject(signal.reason instanceof Error ? signal.reason : new StrataError('LOCK_LOST', 'the load was aborted'));
        if (signal.aborted) stop();
        else signal.addEventListener('abort', stop, { once: true });
      });
      const loading = this.loader(userId, { signal });
      loading.catch(() => undefined); // a loader that fails after it was abandoned
      return await Promise.race([loading, aborted]);
    } finally {
      clearTimeout(timer);
    }
  }

  private toStored(
    records: readonly { name: string; config: unknown; version: number; updatedAt?: string; origin?: unknown }[],
  ): StoredServer[] {
    const servers: StoredServer[] = [];
    for (const record of records) {
      const nameProblem = serverNameProblem(record.name);
      if (nameProblem) {
        this.logger.warn('private tier: skipped a server record with an invalid name', { problem: nameProblem });
        continue;
      }
      try {
        const config = parseServerConfig(record.config, { pathPrefix: `private.${record.name}` });
        servers.push({
          name: record.name,
          tier: 'private',
          config,
          version: record.version,
          updatedAt: record.updatedAt ?? '',
          ...(record.origin === 'user' ? { origin: 'user' as const } : {}),
        });
      } catch (error) {
        this.logger.warn('private tier: skipped an invalid server record', {
          server: record.name,
          ...describeError(error),
        });
      }
    }
    return servers;
  }

  /**
   * Keeps this process's copy, unless the user was invalidated since the load began: the entry is
   * still the right answer for the caller whose call overlapped the change, but caching it could
   * serve pre-change access after the change returned.
   */
  private remember(userId: string, entry: UserEntry, epoch: number): UserEntry {
    if (this.invalidations === epoch) {
      this.local.set(userId, entry);
    }
    return entry;
  }

  /** Marks users invalidated in this process: copies dropped, loads in flight not cached. */
  private forget(userIds: Iterable<string>): void {
    for (const userId of userIds) {
      this.local.delete(userId);
      // A load already under way may have read before the change: later callers start their own.
      this.inflight.delete(userId);
    }
    this.invalidations += 1;
  }

  private onUserEvent(event: UserEvent): void {
    this.waiters.get(event.userId)?.forEach((wake) => wake(event));
  }

  private onUsersInvalidated(event: UsersEvent): void {
    this.forget(event.userIds);
  }

  /** Registers for the user's next event; `until(ms)` resolves with it, or undefined on timeout. */
  private listen(userId: string): { until(ms: number): Promise<UserEvent | undefined>; cancel(): void } {
    let received: UserEvent | undefined;
    let resolveWait: ((event: UserEvent | undefined) => void) | undefined;
    const wake = (event: UserEvent): void => {
      received ??= event;
      resolveWait?.(event);
    };
    let set = this.waiters.get(userId);
    if (!set) {
      set = new Set();
      this.waiters.set(userId, set);
    }
    set.add(wake);
    const cancel = (): void => {
      const current = this.waiters.get(userId);
      current?.delete(wake);
      if (current?.size === 0) this.waiters.delete(userId);
    };
    return {
      cancel,
      until: (ms) =>
        new Promise((resolve) => {
          if (received) return resolve(received);
          const timer = setTimeout(() => {
            this.timers.delete(timer);
            resolve(undefined);
          }, ms);
          this.timers.add(timer);
          resolveWait = (event) => {
            clearTimeout(timer);
            this.timers.delete(timer);
            resolve(event);
          };
        }),
    };
  }
}
