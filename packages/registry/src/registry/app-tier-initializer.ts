import { type NamedServerConfig, StrataError } from '@strata/config';
import type { StoredServer } from '../model/stored-server';
import { describeError, type Logger } from '../runtime/logger';
import type { Clock } from '../runtime/clock';
import type { ChangeEvent } from '../model/change-event';
import type { RegistryBackend } from '../backends/backend';
import type { VersionSource } from '../model/version-source';
import { LeaseWatchdog } from '../lease/lease-watchdog';
import { canonicalJson, contentHash } from '../runtime/content-hash';

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
  /** Longest wait for the app tier to be ready (written by this instance or another). */
  readonly readyTimeoutMs: number;
}

export interface AppTierInitResult {
  /** True on the one instance that wrote the tier. */
  readonly wrote: boolean;
  readonly tierVersion: number;
  readonly contentHash: string;
}

/**
 * Makes the app tier in storage equal to this deploy's file. Exactly one instance writes it: the
 * holder of the leader lease. The others wait for its "tier.replaced" event for this content hash,
 * woken by the bus, with a fallback timer capped at the lease's remaining TTL (the leader may have
 * died) and a bounded total wait. The ready marker is the content hash the replace recorded
 * atomically with the data, so a marker from another deploy never blocks: it just does not match.
 */
export async function initializeAppTier(options: AppTierInitOptions): Promise<AppTierInitResult> {
  const { backend, clock, logger } = options;
  const store = backend.tierStore('app');
  const hash = contentHash(options.servers.map((server) => [server.name, server.config]));
  const deadline = clock.now() + options.readyTimeoutMs;

  let wake: (() => void) | undefined;
  const unsubscribe = backend.bus.subscribe((event) => {
    if (event.type === 'tier.replaced' && event.tier === 'app') wake?.();
  });
  try {
    for (;;) {
      const meta = await store.meta();
      if (meta.contentHash === hash) return { wrote: false, tierVersion: meta.tierVersion, contentHash: hash };

      const attempt = await backend.appLease.acquire(options.leaseTtlMs);
      if (attempt.acquired) {
        const result = await writeAsLeader(options, hash, attempt.token);
        if (result) return result;
        continue; // someone else's deploy wrote in between: look again
      }

      const remaining = deadline - clock.now();
      if (remaining <= 0) {
        throw new StrataError('APP_TIER_NOT_READY', `app tier not ready within ${options.readyTimeoutMs} ms`);
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

  /** Writes the tier under the lease; undefined when the tier already matched (nothing written). */
  async function writeAsLeader(
    init: AppTierInitOptions,
    expectedHash: string,
    token: string,
  ): Promise<AppTierInitResult | undefined> {
    const watchdog = new LeaseWatchdog({
      renew: () => backend.appLease.renew(token, init.leaseTtlMs),
      ttlMs: init.leaseTtlMs,
      logger,
      label: 'app tier leader',
    });
    try {
      const meta = await store.meta();
      if (meta.contentHash === expectedHash)
        return { wrote: false, tierVersion: meta.tierVersion, contentHash: expectedHash };
      const current = await store.snapshot();
      const previous = new Map((current.servers ?? []).map((server) => [server.name, server] as const));
      const now = new Date(clock.now()).toISOString();
      const servers: StoredServer[] = [];
      for (const { name, config } of init.servers) {
        const old = previous.get(name);
        // An unchanged server keeps its version, so its live connections are not renewed for nothing.
        const version =
          old && canonicalJson(old.config) === canonicalJson(config)
            ? old.version
            : await (init.versions ?? backend).nextVersion();
        servers.push(old?.version === version ? old : { name, tier: 'app', config, version, updatedAt: now });
      }
      if (watchdog.lost) throw new StrataError('LOCK_LOST', 'app tier: the leader lease was lost before the write');
      const event: ChangeEvent = {
        type: 'tier.replaced',
        tier: 'app',
        version: await (init.versions ?? backend).nextVersion(),
        hash: expectedHash,
        origin: init.instanceId,
      };
      const result = await store.replaceAll(servers, {
        expectedTierVersion: current.tierVersion,
        contentHash: expectedHash,
        event,
      });
      if (!result.replaced) return undefined;
      logger.info('app tier written', {
        servers: servers.length,
        tierVersion: result.tierVersion,
        contentHash: expectedHash,
      });
      return { wrote: true, tierVersion: result.tierVersion, contentHash: expectedHash };
    } finally {
      watchdog.stop();
      await backend.appLease.release(token).catch((error: unknown) => {
        logger.warn('app tier: lease release failed', describeError(error));
      });
    }
  }
}
