import { type ServerConfig, checkIntegerRanges, type IntegerRange } from '@strata/config';
import type { Logger } from '../runtime/logger';
import type { ChangeBus } from '../bus/change-bus';
import type { Clock } from '../runtime/clock';
import type { PrivateStore } from '../stores/private-store';
import type { ServerOrigin } from '../model/stored-server';

/** One private server as the database returns it for a user. */
export interface PrivateServerRecord {
  readonly name: string;
  /** Validated by the schema on load; a bad record is skipped and logged, never cached. */
  readonly config: ServerConfig | Record<string, unknown>;
  /** Monotonic config version (DB document version or the registry sequence). */
  readonly version: number;
  readonly updatedAt?: string;
  /** `user` when a user supplied the config (connected under the user-supplied rules); absent: operator. */
  readonly origin?: ServerOrigin;
}

/** What a loader is handed besides the user id. */
export interface PrivateLoaderContext {
  /**
   * Aborted when the load lock proved lost (another loader may now hold it: stop, nothing you
   * return will be committed) or when the private tier closes. Pass it to the database query.
   */
  readonly signal: AbortSignal;
}

/** Reads one user's private servers from the source of truth. */
export type PrivateLoader = (userId: string, context: PrivateLoaderContext) => Promise<readonly PrivateServerRecord[]>;

export interface PrivateTierHooks {
  /** Test hook: runs after the loader read and before the commit (pause here to race a revoke). */
  readonly beforeCommit?: (userId: string) => Promise<void>;
  /** Test hook: a caller starts waiting for another loader's lock (after registering for its wake-up). */
  readonly onWait?: (userId: string) => void;
}

export interface PrivateTierOptions {
  readonly store: PrivateStore;
  readonly bus: ChangeBus;
  readonly loader: PrivateLoader;
  readonly logger?: Logger;
  readonly clock?: Clock;
  readonly instanceId?: string;
  /** Load-lock TTL; the watchdog extends it every third of it. @defaultValue 10000 */
  readonly lockTtlMs?: number;
  /** TTL of a user's cached servers and loaded flag (one entry). @defaultValue 3600000 */
  readonly dataTtlMs?: number;
  /** Longest a caller waits for a load (its own or another's). @defaultValue 3 × lockTtlMs */
  readonly loadTimeoutMs?: number;
  /** How long this process serves its own copy without a round trip. @defaultValue 1000 */
  readonly nearCacheTtlMs?: number;
  /** Most users whose servers this process keeps a copy of (least recently used evicted). @defaultValue 10000 */
  readonly nearCacheMaxUsers?: number;
  /**
   * While Redis is unavailable, a user whose copy expired less than this long ago is served that
   * copy instead of an error (stale-while-unavailable). 0 turns it off. @defaultValue 60000
   */
  readonly staleIfErrorMs?: number;
  /** Commits refused as stale before giving up with STALE_GENERATION. @defaultValue 3 */
  readonly maxCommitAttempts?: number;
  readonly hooks?: PrivateTierHooks;
}

export const DEFAULT_PRIVATE_TIER_OPTIONS = {
  lockTtlMs: 10_000,
  dataTtlMs: 3_600_000,
  nearCacheTtlMs: 1_000,
  nearCacheMaxUsers: 10_000,
  staleIfErrorMs: 60_000,
  maxCommitAttempts: 3,
} as const;

export function checkPrivateTierOptions(options: PrivateTierOptions): void {
  const ranges: Array<IntegerRange<PrivateTierOptions>> = [
    ['lockTtlMs', 50, 600_000],
    ['dataTtlMs', 100, 30 * 86_400_000],
    ['loadTimeoutMs', 50, 3_600_000],
    ['nearCacheTtlMs', 0, 60_000],
    ['nearCacheMaxUsers', 0, 10_000_000],
    ['staleIfErrorMs', 0, 3_600_000],
    ['maxCommitAttempts', 1, 100],
  ];
  checkIntegerRanges(options, ranges);
}
