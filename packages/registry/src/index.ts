export { ERROR_CODES, StrataError, ValidationError, isStrataError } from './errors/strata-error';
export type { ErrorCode, FieldIssue } from './errors/strata-error';
export { RedisUnavailableError, withRedisDeadline } from './errors/redis-errors';

export {
  assertServerName,
  assertUserId,
  RESERVED_WORDS,
  SERVER_NAME_PATTERN,
  serverNameProblem,
  USER_ID_PATTERN,
  userIdProblem,
} from './keys/names';
export { decodeKeySegment, encodeKeySegment, KeyBuilder } from './keys/key-builder';
export type { TierName } from './keys/key-builder';

export {
  MAX_TIMEOUT_MS,
  PLACEHOLDER_PATTERN,
  SERVER_TYPES,
  parseServerConfig,
  serverConfigSchema,
} from './config/server-config';
export type {
  HttpServerConfig,
  ParseServerConfigOptions,
  ServerConfig,
  ServerConfigInput,
  ServerType,
  StdioServerConfig,
  WebSocketServerConfig,
} from './config/server-config';
export {
  STRATA_CONFIG_VERSION,
  parseClaudeDesktopJson,
  parseLibreChatYaml,
  parseStrataYaml,
  serializeStrataYaml,
} from './config/parsers';
export type { NamedServerConfig, ParsedServers } from './config/parsers';
export { listPlaceholders, resolvePlaceholders } from './config/placeholders';
export type { ResolvePlaceholdersOptions } from './config/placeholders';
export { MASK, redactConfigForLog, sanitizeForBrowser } from './config/sanitize';
export type { BrowserServerConfig } from './config/sanitize';

export type { StoredServer, Tier } from './cache/stored-server';
export type { PutResult, ReplaceOptions, ReplaceResult, TierMeta, TierSnapshot, TierStore } from './cache/tier-store';
export { MemoryTierStore } from './cache/memory-tier-store';
export { RedisTierStore } from './cache/redis-tier-store';
export type { RedisTierStoreDeps } from './cache/redis-tier-store';

export { MemoryChangeBus } from './sync/change-bus';
export type { ChangeBus, ChangeListener } from './sync/change-bus';
export { RedisChangeBus } from './sync/redis-change-bus';
export { changeEventSchema, parseChangeEvent } from './sync/change-event';
export type { ChangeEvent } from './sync/change-event';

export type { RegistryBackend } from './registry/backend';
export { createMemoryBackend } from './registry/memory-backend';
export { createRedisBackend, DEFAULT_REDIS_BACKEND_OPTIONS } from './registry/redis-backend';
export type { RedisBackendOptions, RedisConnection } from './registry/redis-backend';

export { describeError, silentLogger } from './logging/logger';
export type { Logger } from './logging/logger';

export { McpRegistry } from './registry/registry';
export type { ReadOptions } from './registry/registry';
export { DEFAULT_REGISTRY_OPTIONS } from './registry/registry-options';
export type { RegistryOptions } from './registry/registry-options';
export type { PrivateTierSource } from './registry/private-tier-source';
export { initializeAppTier } from './registry/app-tier-initializer';
export type { AppTierInitOptions, AppTierInitResult } from './registry/app-tier-initializer';
export { canonicalJson, contentHash } from './registry/content-hash';
export { TierNearCache } from './sync/near-cache';
export type { NearCacheOptions } from './sync/near-cache';
export { systemClock } from './sync/clock';
export type { Clock } from './sync/clock';
export { MemoryLease, RedisLease, newLeaseToken } from './lock/lease';
export type { Lease, LeaseAttempt } from './lock/lease';

export { PrivateTier } from './private/private-tier';
export type { PrivateTierStats } from './private/private-tier';
export { DEFAULT_PRIVATE_TIER_OPTIONS } from './private/private-tier-options';
export type {
  PrivateLoader,
  PrivateServerRecord,
  PrivateTierHooks,
  PrivateTierOptions,
} from './private/private-tier-options';
export type { CommitOutcome, LoadLockAttempt, PrivateStore, UserEntry } from './private/private-store';
export { MemoryPrivateStore } from './private/memory-private-store';
export { RedisPrivateStore } from './private/redis-private-store';
export type { RedisPrivateStoreDeps } from './private/redis-private-store';
export { AccessAdmin } from './private/access-admin';
export type { AccessAdminOptions } from './private/access-admin';
export { MemoryAccessRepository } from './private/access-repository';
export type { AccessRepository, PrivateServerDefinition } from './private/access-repository';

export { ConnectionManager } from './connections/connection-manager';
export type { ConnectionStatus } from './connections/connection-manager';
export { connectionKey, DEFAULT_CONNECTION_OPTIONS } from './connections/connection-options';
export type { ConnectionManagerOptions, ConnectionScope, ReconnectOptions } from './connections/connection-options';
export { McpConnection } from './connections/mcp-connection';
export type { ConnectionState, McpConnectionHooks } from './connections/mcp-connection';
export { ToolsCache } from './connections/tools-cache';
export type { ToolsCacheOptions, ToolsEntry } from './connections/tools-cache';
export { createTransport } from './connections/transport-factory';
export type { TransportFactory } from './connections/transport-factory';
