import { type NamedServerConfig, checkIntegerRanges, type IntegerRange } from '@strata/config';
import type { Logger } from '../runtime/logger';
import type { Clock } from '../runtime/clock';
import type { RegistryBackend } from '../backends/backend';
import type { PrivateTierSource } from '../model/private-tier-source';
import type { StoredServer } from '../model/stored-server';
import type { VersionSource } from '../model/version-source';

export interface RegistryOptions {
  /** Storage: `createMemoryBackend()` or `await createRedisBackend({...})`. */
  readonly backend: RegistryBackend;
  /** This deploy's app-tier servers (e.g. `parseStrataYaml(text, file, { strict: true }).servers`). @defaultValue [] */
  readonly appServers?: readonly NamedServerConfig[];
  /** Where config versions come from (the database). @defaultValue the backend's counter */
  readonly versions?: VersionSource;
  /**
   * The shared tier's source of truth (the database's public servers). With it, the shared tier is
   * built from it at start when storage does not hold it, and rebuilt whenever it is lost (a Redis
   * flush, an eviction). Without it, the shared tier lives in storage only.
   */
  readonly sharedSource?: () => Promise<readonly StoredServer[]>;
  /** Where users' private servers come from; without it, users have none. */
  readonly privateTier?: PrivateTierSource;
  /** winston-compatible logger. @defaultValue silent */
  readonly logger?: Logger;
  /** @defaultValue the system clock */
  readonly clock?: Clock;
  /** Names this instance in events and logs. @defaultValue a random id */
  readonly instanceId?: string;
  /** Longest time a near-cache entry is served without revalidation. @defaultValue 1000 */
  readonly nearCacheMaxStalenessMs?: number;
  /** TTL of the app tier's leader lease. @defaultValue 5000 */
  readonly appLeaseTtlMs?: number;
  /** Longest wait at start-up for the app tier to be ready. @defaultValue 15000 */
  readonly appReadyTimeoutMs?: number;
}

export const DEFAULT_REGISTRY_OPTIONS = {
  nearCacheMaxStalenessMs: 1_000,
  nearCacheRetryAfterMs: 250,
  appLeaseTtlMs: 5_000,
  appReadyTimeoutMs: 15_000,
} as const;

/** Range-checks the numeric options; every problem names its field. */
export function checkRegistryOptions(options: RegistryOptions): void {
  const ranges: Array<IntegerRange<RegistryOptions>> = [
    ['nearCacheMaxStalenessMs', 0, 60_000],
    ['appLeaseTtlMs', 100, 600_000],
    ['appReadyTimeoutMs', 100, 3_600_000],
  ];
  checkIntegerRanges(options, ranges);
}
