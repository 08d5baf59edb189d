import { Keyv } from 'keyv';
import KeyvRedis from '@keyv/redis';
import { RedisTierStore } from '../stores/redis-tier-store';
import type { StoredServer } from '../model/stored-server';
import { withRedisDeadline } from '../redis/redis-errors';
import { checkIntegerRanges } from '@strata/config';
import { KeyBuilder, type TierName } from '../keys/key-builder';
import { describeError, silentLogger, type Logger } from '../runtime/logger';
import { RedisChangeBus } from '../bus/redis-change-bus';
import { RedisLease } from '../lease/lease';
import { closeClient } from '../redis/close-client';
import { RedisPrivateStore } from '../stores/redis-private-store';
import type { UserEntry } from '../stores/private-store';
import type { ToolsEntry } from '../stores/tools-cache';
import type { RegistryBackend } from './backend';
import { RedisBackendHealth } from './backend-health';
import {
  createRedisClients,
  DEFAULT_RECONNECT,
  type RedisClientSettings,
  type RedisConnection,
  type RedisReconnectOptions,
} from './redis-clients';

export type { RedisConnection, RedisTlsOptions } from './redis-clients';

export interface RedisBackendOptions {
  /** Where Redis is, credentials and TLS: given to both clients. */
  readonly connection: RedisConnection;
  /** Prefix of every key and channel. @defaultValue 'strata' */
  readonly keyPrefix?: string;
  /** Deadline of every Redis call, connects included, in ms. @defaultValue 2000 */
  readonly timeoutMs?: number;
  /** How both clients retry a lost connection. @defaultValue \{ baseDelayMs: 50, maxDelayMs: 1000 \} */
  readonly reconnect?: Partial<RedisReconnectOptions>;
  readonly logger?: Logger;
}

export const DEFAULT_REDIS_BACKEND_OPTIONS = {
  keyPrefix: 'strata',
  timeoutMs: 2_000,
  reconnect: DEFAULT_RECONNECT,
} as const;

/**
 * Connects the clients one registry instance uses, both built from one {@link RedisClientSettings}
 * (address, credentials, TLS, timeouts, reconnect strategy): an ioredis client (scripts, counters,
 * locks), its duplicate for pub/sub, and one `@keyv/redis` adapter per Keyv namespace over a
 * node-redis client. Offline queues are off, so a command during an outage fails at once instead
 * of waiting. `health()` is ready only when all three connections are.
 */
export async function createRedisBackend(options: RedisBackendOptions): Promise<RegistryBackend> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_REDIS_BACKEND_OPTIONS.timeoutMs;
  checkIntegerRanges(options, [['timeoutMs', 10, 60_000]]);
  checkIntegerRanges(options.reconnect ?? {}, [
    ['baseDelayMs', 1, 60_000],
    ['maxDelayMs', 1, 600_000],
  ]);
  const logger = options.logger ?? silentLogger;
  const keys = new KeyBuilder(options.keyPrefix ?? DEFAULT_REDIS_BACKEND_OPTIONS.keyPrefix);
  const settings: RedisClientSettings = {
    connection: options.connection,
    timeoutMs,
    reconnect: { ...DEFAULT_RECONNECT, ...options.reconnect },
    name: keys.prefix,
  };
  const { commands: redis, keyv: nodeRedis } = createRedisClients(settings);
  redis.on('error', (error: unknown) => logger.warn('redis client error', describeError(error)));
  nodeRedis.on('error', (error: unknown) => logger.warn('keyv redis client error', describeError(error)));

  await withRedisDeadline('connect', timeoutMs, async () => {
    await redis.connect();
    await nodeRedis.connect();
  }).catch((error: unknown) => {
    // Cleanup must never mask the cause: destroying a client that never connected throws.
    redis.disconnect();
    try {
      nodeRedis.destroy();
    } catch {
      // already closed
    }
    throw error;
  });

  const bus = new RedisChangeBus(redis, keys.busChannel(), timeoutMs, logger);
  const health = new RedisBackendHealth({ commands: redis, subscriber: bus.subscriberConnection, keyv: nodeRedis });
  const tierKeyv = (tier: TierName): Keyv<StoredServer> => {
    const adapter = new KeyvRedis<StoredServer>(nodeRedis, {
      namespace: keys.tierNamespace(tier),
      throwOnErrors: true,
    });
    const keyv = new Keyv<StoredServer>({
      store: adapter,
      namespace: keys.tierNamespace(tier),
      useKeyPrefix: false,
      throwOnErrors: true,
    });
    keyv.on('error', (error: unknown) => logger.warn('keyv error', { tier, ...describeError(error) }));
    return keyv;
  };
  const stores = {
    app: new RedisTierStore('app', {
      client: redis,
      keyv: tierKeyv('app'),
      keys,
      channel: keys.busChannel(),
      timeoutMs,
    }),
    shared: new RedisTierStore('shared', {
      client: redis,
      keyv: tierKeyv('shared'),
      keys,
      channel: keys.busChannel(),
      timeoutMs,
    }),
  } satisfies Record<TierName, RedisTierStore>;

  const privateKeyv = new Keyv<UserEntry>({
    store: new KeyvRedis<UserEntry>(nodeRedis, { throwOnErrors: true }),
    useKeyPrefix: false,
    throwOnErrors: true,
  });
  // Keyv gives a store without a namespace its default one ("keyv"); per-user keys are complete
  // already (they carry the user's hash tag), so clear it, as @keyv/redis's createKeyv does.
  privateKeyv.namespace = undefined;
  privateKeyv.on('error', (error: unknown) => logger.warn('keyv error', { tier: 'private', ...describeError(error) }));
  const privateStore = new RedisPrivateStore({
    client: redis,
    keyv: privateKeyv,
    keys,
    channel: keys.busChannel(),
    timeoutMs,
  });

  const toolsNamespace = keys.toolsNamespace();
  const toolsKeyv = new Keyv<ToolsEntry>({
    store: new KeyvRedis<ToolsEntry>(nodeRedis, { namespace: toolsNamespace, throwOnErrors: true }),
    namespace: toolsNamespace,
    useKeyPrefix: false,
    throwOnErrors: true,
  });
  toolsKeyv.on('error', (error: unknown) => logger.warn('keyv error', { cache: 'tools', ...describeError(error) }));

  const leases = {
    app: new RedisLease(redis, keys.tierLeaderKey('app'), timeoutMs),
    shared: new RedisLease(redis, keys.tierLeaderKey('shared'), timeoutMs),
  } satisfies Record<TierName, RedisLease>;
  return {
    kind: 'redis',
    keys,
    bus,
    timeoutMs,
    redis,
    tierStore: (tier) => stores[tier],
    appLease: leases.app,
    tierLease: (tier) => leases[tier],
    privateStore,
    toolsKeyv,
    nextVersion: () => withRedisDeadline('next version', timeoutMs, () => redis.incr(keys.versionSequenceKey())),
    health: () => health.health(),
    onHealthChange: (listener) => health.onHealthChange(listener),
    whenReady: (ms) => health.whenReady(ms),
    async close() {
      health.close();
      await bus.close();
      await closeClient(redis, timeoutMs);
      nodeRedis.destroy();
    },
  };
}
