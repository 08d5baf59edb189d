import type { ServerConfig } from '@strata/config';

/** The tiers a server can come from, in order of precedence. */
export type Tier = 'app' | 'shared' | 'private';

/**
 * Who wrote a server's config. `user`: a user created it for themself (a private server): it is
 * connected under the user-supplied rules — `${VAR}` is never read from the environment, remote
 * addresses pass the outbound guard, stdio is refused. `operator`: the config file or an admin.
 */
export type ServerOrigin = 'operator' | 'user';

/** A server as the registry stores and returns it: the config plus what the registry stamps. */
export interface StoredServer {
  readonly name: string;
  readonly tier: Tier;
  readonly config: ServerConfig;
  /** Monotonic across the whole registry (one sequence): staleness compares versions, never clocks. */
  readonly version: number;
  /** ISO 8601 time of the write, for people; never used to order writes. */
  readonly updatedAt: string;
  /** Absent means `operator`; the app tier is always `operator`, whatever this says. */
  readonly origin?: ServerOrigin;
}
