// @strata/registry — the facade and what a user of it needs. Building blocks (stores, backends,
// the private tier on its own, leases, scripts) are at `@strata/registry/internals`.

/** Builds one Strata instance (memory, Redis standalone or cluster); see {@link Strata}. */
export { createStrata, Strata } from './strata';
export type { StrataStats } from './strata';
export type { StrataOptions } from './strata-options';
export type { StrataAdmin, AdminServer, ServerAccess } from './admin/strata-admin';
export type { RedisConnection, RedisTlsOptions } from './backends/redis-backend';
export type { BackendHealth } from './backends/backend-health';

export type { StoredServer } from './model/stored-server';
export type { ReadOptions } from './registry/registry';
export { MemoryAccessRepository } from './private/access-repository';
export type { AccessRepository, PrivateServerDefinition, ServerDefinition } from './private/access-repository';
export type { PrivateLoader, PrivateLoaderContext, PrivateServerRecord } from './private/private-tier-options';

export type { ConnectionStatus } from './connections/connection-manager';
export type { McpConnection } from './connections/mcp-connection';
export type { ConnectionUser, ServerOrigin, UserConnectContext } from './connections/user-context';

export type { Clock } from './runtime/clock';
export type { Logger } from './runtime/logger';

// From @strata/config (the schema, the other config formats and the rest live there).
export { StrataError, ValidationError, parseStrataYaml } from '@strata/config';
export type { ErrorCode, FieldIssue } from '@strata/config';
export type { ConnectionScope, NamedServerConfig, PublicEvent, ServerConfig } from '@strata/config';
