import type { ServerConfig } from '@strata/config';

/** The tiers a server can come from, in order of precedence. */
export type Tier = 'app' | 'shared' | 'private';

/** A server as the registry stores and returns it: the config plus what the registry stamps. */
export interface StoredServer {
  readonly name: string;
  readonly tier: Tier;
  readonly config: ServerConfig;
  /** Monotonic across the whole registry (one sequence): staleness compares versions, never clocks. */
  readonly version: number;
  /** ISO 8601 time of the write, for people; never used to order writes. */
  readonly updatedAt: string;
}
