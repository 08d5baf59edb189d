import type { AccessRepository } from '@strata/registry';

// The interface's value types, derived from `AccessRepository` itself, so this package needs only the
// registry's root export (the same types are exported by name from `@strata/registry/internals`).

/** A server with its live grants (`AccessRepository.get`). */
export type ServerDefinition = NonNullable<Awaited<ReturnType<AccessRepository['get']>>>;
/** What `setGrants` changed, principal by principal. */
export type GrantChange = Awaited<ReturnType<AccessRepository['setGrants']>>;
/** One entry of {@link GrantChange.changed}. */
export type ChangedGrant = GrantChange['changed'][number];
/** The input of `create`. */
export type NewServer = Parameters<AccessRepository['create']>[0];
/** The input of `beginChange`. */
export type ChangeIntent = Parameters<AccessRepository['beginChange']>[0];
/** A change returned by `claimStaleChanges`. */
export type PendingChange = Awaited<ReturnType<AccessRepository['claimStaleChanges']>>[number];
