// @strata/registry/internals — the building blocks behind `createStrata()`, for advanced use
// (a custom backend, a component on its own) and for tests. The root export (`index.ts`) is the
// facade and what a user of it needs; everything here may change between minor versions.

export { createStrata, Strata } from './strata';
export type { StrataStats } from './strata';
export { resolveStrataOptions } from './strata-options';
export type { ResolvedStrataOptions, StrataOptions } from './strata-options';
export { StrataAdmin } from './admin/strata-admin';
export type { AdminServer, ServerAccess } from './admin/strata-admin';
export { EventFeed, projectChangeEvent, projectConnectionChange } from './events/event-feed';
export type { PublicEventListener } from './events/event-feed';
export type { Grant, Principal, PublicEvent } from '@strata/config';
export { ALL_PERMISSIONS, PERMISSION } from '@strata/config';
export { RedisUnavailableError, isConnectionError, withRedisDeadline } from './redis/redis-errors';
export { REPLY } from './redis/script-replies';
export { SCRIPTS, luaScript, runLua, runScript, type LuaScript } from './redis/scripts';
export { LeaseWatchdog, withLeaseWatchdog } from './lease/lease-watchdog';
export type { LeaseWatchdogOptions } from './lease/lease-watchdog';
export { MemoryLeaseKeys, RedisLeaseKeys } from './lease/lease';
export { checkedEvent } from './model/change-event';
export type { ServerSource } from './model/server-source';
export type { BusStats } from './bus/change-bus';
export type { NearCacheStats } from './stores/tier-near-cache';
export { LocalCache } from './stores/local-cache';
export type { LocalCacheOptions } from './stores/local-cache';
export type { ConnectionStateChange, ConnectionStateListener } from './connections/connection-manager';
export type { PrivateLoaderContext } from './private/private-tier-options';

export { ERROR_CODES, StrataError, ValidationError, isStrataError } from '@strata/config';
export type { ErrorCode, FieldIssue } from '@strata/config';

export {
  assertServerName,
  assertUserId,
  RESERVED_WORDS,
  SERVER_NAME_PATTERN,
  serverNameProblem,
  USER_ID_PATTERN,
  userIdProblem,
} from '@strata/config';
export { decodeKeySegment, encodeKeySegment, KeyBuilder } from './keys/key-builder';
export type { TierName } from './keys/key-builder';

export {
  MAX_TIMEOUT_MS,
  PLACEHOLDER_PATTERN,
  SERVER_TYPES,
  parseServerConfig,
  serverConfigSchema,
} from '@strata/config';
export type {
  HttpServerConfig,
  ParseServerConfigOptions,
  ServerConfig,
  ServerConfigInput,
  ServerType,
  StdioServerConfig,
  WebSocketServerConfig,
} from '@strata/config';
export {
  STRATA_CONFIG_VERSION,
  parseClaudeDesktopJson,
  parseLibreChatYaml,
  parseStrataYaml,
  serializeStrataYaml,
} from '@strata/config';
export type { NamedServerConfig, ParsedServers } from '@strata/config';
export { listPlaceholders, resolvePlaceholders } from '@strata/config';
export type { ResolvePlaceholdersOptions } from '@strata/config';
export { MASK, redactConfigForLog, sanitizeForBrowser } from '@strata/config';
export type { BrowserServerConfig } from '@strata/config';

export type { StoredServer, Tier } from './model/stored-server';
export type { PutResult, ReplaceOptions, ReplaceResult, TierMeta, TierSnapshot, TierStore } from './stores/tier-store';
export { MemoryTierStore } from './stores/memory-tier-store';
export { RedisTierStore } from './stores/redis-tier-store';
export type { RedisTierStoreDeps } from './stores/redis-tier-store';

export { MemoryChangeBus } from './bus/change-bus';
export type { ChangeBus, ChangeListener } from './bus/change-bus';
export { RedisChangeBus } from './bus/redis-change-bus';
export { changeEventSchema, parseChangeEvent } from './model/change-event';
export type { ChangeEvent } from './model/change-event';

export type { RegistryBackend } from './backends/backend';
export { createMemoryBackend } from './backends/memory-backend';
export { createRedisBackend, DEFAULT_REDIS_BACKEND_OPTIONS } from './backends/redis-backend';
export type { RedisBackendOptions, RedisConnection, RedisTlsOptions } from './backends/redis-backend';
export { createRedisClients, ioredisOptions, nodeRedisOptions, reconnectDelay } from './backends/redis-clients';
export type { RedisClientSettings, RedisReconnectOptions } from './backends/redis-clients';
export type { BackendHealth, HealthListener } from './backends/backend-health';

export { describeError, silentLogger } from './runtime/logger';
export { DEFAULT_LOG_INTERVAL_MS, rateLimitedLogger } from './runtime/rate-limited-logger';
export type { ClosableLogger, RateLimitedLoggerOptions } from './runtime/rate-limited-logger';
export type { Logger } from './runtime/logger';

export { McpRegistry } from './registry/registry';
export type { ReadOptions } from './registry/registry';
export { DEFAULT_REGISTRY_OPTIONS } from './registry/registry-options';
export type { RegistryOptions } from './registry/registry-options';
export type { PrivateTierSource } from './model/private-tier-source';
export { initializeAppTier } from './registry/tier-initializer';
export type { AppTierInitOptions, AppTierInitResult } from './registry/tier-initializer';
export { canonicalJson, contentHash } from './runtime/content-hash';
export { TierNearCache } from './stores/tier-near-cache';
export type { NearCacheOptions } from './stores/tier-near-cache';
export { systemClock } from './runtime/clock';
export type { Clock } from './runtime/clock';
export { MemoryLease, RedisLease, newLeaseToken } from './lease/lease';
export type { Lease, LeaseAttempt } from './lease/lease';

export { PrivateTier } from './private/private-tier';
export type { PrivateTierStats } from './private/private-tier';
export { DEFAULT_PRIVATE_TIER_OPTIONS } from './private/private-tier-options';
export type {
  PrivateLoader,
  PrivateServerRecord,
  PrivateTierHooks,
  PrivateTierOptions,
} from './private/private-tier-options';
export type { CommitOutcome, LoadLockAttempt, PrivateStore, UserEntry } from './stores/private-store';
export { MemoryPrivateStore } from './stores/memory-private-store';
export { RedisPrivateStore } from './stores/redis-private-store';
export type { RedisPrivateStoreDeps } from './stores/redis-private-store';
export { AccessAdmin } from './admin/access-admin';
export type { AccessAdminHooks, AccessAdminOptions, ChangeStep } from './admin/access-admin';
export { MemoryAccessRepository } from './private/access-repository';
export { directUsers, toPrivateDefinition } from './private/access-repository';
export type {
  AccessRepository,
  GrantChange,
  NewServer,
  PendingChange,
  PrivateServerDefinition,
  ServerDefinition,
} from './private/access-repository';
export { ChangeReplayer } from './admin/change-replayer';
export type { ChangeReplayerOptions } from './admin/change-replayer';
export type { VersionSource } from './model/version-source';

export { ConnectionManager } from './connections/connection-manager';
export type { ConnectionStatus } from './connections/connection-manager';
export { connectionKey, DEFAULT_CONNECTION_OPTIONS } from './connections/connection-options';
export type {
  ConnectionManagerOptions,
  ConnectionScope,
  ReconnectOptions,
  UserServerOptions,
} from './connections/connection-options';
export { McpConnection } from './connections/mcp-connection';
export type { ConnectionState, McpConnectionHooks } from './connections/mcp-connection';
export { ToolsCache } from './stores/tools-cache';
export type { ToolsCacheOptions, ToolsEntry, ToolsOwner } from './stores/tools-cache';
export { createTransport } from './connections/transport-factory';
export type { TransportFactory, TransportOptions } from './connections/transport-factory';
export { GuardedClient, ToolDeniedError, toolPolicy } from './connections/guarded-client';
export type { ToolPolicy } from './connections/guarded-client';
export { guardedFetch } from './connections/guarded-fetch';
export { hostOf, OutboundGuard, systemResolver } from './connections/outbound-guard';
export type { AddressResolver, OutboundGuardOptions } from './connections/outbound-guard';
export { resolveConnectionConfig, usesPerUserPlaceholders } from './connections/resolve-config';
export type { ResolveConfigInput } from './connections/resolve-config';
export { USER_API_KEY_VARIABLE, USER_PLACEHOLDER_FIELDS } from './connections/user-context';
export type { ConnectionUser, ServerOrigin, UserConnectContext } from './connections/user-context';
export { importServers } from './admin/import-servers';
export type {
  ImportEntryError,
  ImportEntryResult,
  ImportOutcome,
  ImportServersOptions,
  ImportServersResult,
} from './admin/import-servers';
