import { StrataError, type NamedServerConfig } from '@strata/config';
import type { RegistryBackend } from '../backends/backend';
import type { TierName } from '../keys/key-builder';
import { LeaseWatchdog } from '../lease/lease-watchdog';
import type { ChangeEvent } from '../model/change-event';
import type { StoredServer } from '../model/stored-server';
import type { VersionSource } from '../model/version-source';
import type { Clock } from '../runtime/clock';
import { canonicalJson, contentHash } from '../runtime/content-hash';
import { describeError, type Logger } from '../runtime/logger';

export interface AppTierInitOptions {
  readonly backend: RegistryBackend;
  /** Where versions come from (the database). @defaultValue the backend's counter */
  readonly versions?: VersionSource;
  readonly servers: readonly NamedServerConfig[];
  readonly instanceId: string;
  readonly clock: Clock;
  readonly logger: Logger;
  /** TTL of the leader lease; renewed every third of it while writing. */
  readonly leaseTtlMs: number;
  /** Longest wait for the tier to be ready (written by this instance or another). */
  readonly readyTimeoutMs: number;
}

export interface AppTierInitResult {
  /** True on the one instance that wrote the tier. */
  readonly wrote: boolean;
  readonly tierVersion: number;
  readonly contentHash: string;
}

/** What {@link initializeTier} needs besides the common options. */
export interface TierInitOptions extends Omit<AppTierInitOptions, 'servers'> {
  readonly tier: TierName;
  /**
   * The ready marker recorded atomically with the data: the tier is current when storage holds
   * it. The app tier's is the file's content hash; the shared tier's says "built from the database".
   */
  readonly marker: string;
  /** The tier's servers, built under the lease; `current` is what storage holds now. */
  readonly build: (current: ReadonlyMap<string, StoredServer>) => Promise<StoredServer[]>;
}

/** The shared tier's ready marker: the tier was built from the source of truth and kept current since. */
export const SHARED_TIER_MARKER = 'source-of-truth';

/**
 * Makes a tier in storage current. Exactly one instance writes it: the holder of the tier's leader
 * lease. The others wait for its `tier.replaced` event, woken by the bus, with a fallback timer
 * capped at the lease's remaining TTL (the leader may have died) and a bounded total wait. The
 * ready marker is recorded atomically with the data, so a marker from another deploy never blocks:
 * it just does not match; a flushed tier has none, and is rebuilt the same way.
 */
export async function initializeTier(options: TierInitOptions): Promise<AppTierInitResult> {
  const { backend, clock, tier, marker } = options;
  const store = backend.tierStore(tier);
  const lease = backend.tierLease(tier);
  const deadline = clock.now() + options.readyTimeoutMs;

  let wake: (() => void) | undefined;
  const unsubscribe = backend.bus.subscribe((event) => {
    if (event.type === 'tier.replaced' && event.tier === tier) wake?.();
  });
  try {
    for (;;) {
      const meta = await store.meta();
      if (meta.contentHash === marker) return { wrote: false, tierVersion: meta.tierVersion, contentHash: marker };

      const attempt = await lease.acquire(options.leaseTtlMs);
      if (attempt.acquired) {
        const result = await writeAsLeader(attempt.token);
        if (result) return result;
        continue; // someone else wrote in between: look again
      }

      const remaining = deadline - clock.now();
      if (remaining <= 0) {
        throw new StrataError('APP_TIER_NOT_READY', `${tier} tier not ready within ${options.readyTimeoutMs} ms`);
      }
      // Wait for the leader's event, or until its lease could have expired, whichever is first.
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.max(1, Math.min(attempt.remainingMs + 1, remaining)));
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      wake = undefined;
    }
  } finally {
    unsubscribe();
  }

  /** Writes the tier under the lease; undefined when another writer changed it in between. */
  async function writeAsLeader(token: string): Promise<AppTierInitResult | undefined> {
    const watchdog = new LeaseWatchdog({
      renew: () => lease.renew(token, options.leaseTtlMs),
      ttlMs: options.leaseTtlMs,
      logger: options.logger,
      label: `${tier} tier leader`,
    });
    try {
      const meta = await store.meta();
      if (meta.contentHash === marker) return { wrote: false, tierVersion: meta.tierVersion, contentHash: marker };
      const current = await store.snapshot();
      const previous = new Map((current.servers ?? []).map((server) => [server.name, server] as const));
      const servers = await options.build(previous);
      if (watchdog.lost) throw new StrataError('LOCK_LOST', `${tier} tier: the leader lease was lost before the write`);
      const event: ChangeEvent = {
        type: 'tier.replaced',
        tier,
        version: await (options.versions ?? backend).nextVersion(),
        hash: marker,
        origin: options.instanceId,
      };
      const result = await store.replaceAll(servers, {
        expectedTierVersion: current.tierVersion,
        contentHash: marker,
        event,
      });
      if (!result.replaced) return undefined;
      options.logger.info(`${tier} tier written`, {
        servers: servers.length,
        tierVersion: result.tierVersion,
        contentHash: marker,
      });
      return { wrote: true, tierVersion: result.tierVersion, contentHash: marker };
    } finally {
      watchdog.stop();
      await lease.release(token).catch((error: unknown) => {
        options.logger.warn(`${tier} tier: lease release failed`, describeError(error));
      });
    }
  }
}

/**
 * Makes the app tier in storage equal to this deploy's file (see {@link initializeTier}). An
 * unchanged server keeps its version, so its live connections are not renewed for nothing.
 */
export function initializeAppTier(options: AppTierInitOptions): Promise<AppTierInitResult> {
  const { servers: file, ...common } = options;
  const versions = options.versions ?? options.backend;
  return initializeTier({
    ...common,
    tier: 'app',
    marker: contentHash(file.map((server) => [server.name, server.config])),
    build: async (previous) => {
      const now = new Date(options.clock.now()).toISOString();
      const servers: StoredServer[] = [];
      for (const { name, config } of file) {
        const old = previous.get(name);
        if (old && canonicalJson(old.config) === canonicalJson(config)) servers.push(old);
        else servers.push({ name, tier: 'app', config, version: await versions.nextVersion(), updatedAt: now });
      }
      return servers;
    },
  });
}
