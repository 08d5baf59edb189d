import { createClient, createCluster } from '@keyv/redis';
import Redis, { Cluster, type ClusterOptions, type RedisOptions } from 'ioredis';

/** TLS for both clients (Node's `tls.connect` options that matter here). */
export interface RedisTlsOptions {
  /** PEM CA certificate(s); the system's when unset. */
  readonly ca?: string | readonly string[];
  /** PEM client certificate and key, for mutual TLS. */
  readonly cert?: string;
  readonly key?: string;
  /** Server name for SNI and certificate checks. @defaultValue the host */
  readonly servername?: string;
  /** @defaultValue true */
  readonly rejectUnauthorized?: boolean;
}

/** Credentials and TLS, the same for every connection an instance makes. */
interface RedisSecurity {
  /** ACL user. In a standalone URL (`redis://user:pass@host`) too; this field wins. */
  readonly username?: string;
  /** ACL or `requirepass` password. */
  readonly password?: string;
  /** TLS: `true` for the system's CAs, or options. A `rediss://` URL turns it on as well. */
  readonly tls?: boolean | RedisTlsOptions;
}

/** Where Redis is — a standalone URL or cluster seed nodes — and how to authenticate. */
export type RedisConnection = (
  { readonly url: string } | { readonly clusterNodes: ReadonlyArray<{ readonly host: string; readonly port: number }> }
) &
  RedisSecurity;

/** How a lost connection is retried: capped exponential backoff, attempt 1 waits `baseDelayMs`. */
export interface RedisReconnectOptions {
  /** @defaultValue 50 */
  readonly baseDelayMs: number;
  /** @defaultValue 1000 */
  readonly maxDelayMs: number;
}

export const DEFAULT_RECONNECT: RedisReconnectOptions = { baseDelayMs: 50, maxDelayMs: 1_000 };

/**
 * The one options object both Redis clients of an instance are built from — ioredis (scripts,
 * locks, counters, pub/sub) and node-redis under `@keyv/redis` (the Keyv caches) — so they cannot
 * disagree on where Redis is, credentials, TLS, timeouts or how they reconnect.
 */
export interface RedisClientSettings {
  readonly connection: RedisConnection;
  /** Deadline of a connect and of a command, in ms. */
  readonly timeoutMs: number;
  readonly reconnect: RedisReconnectOptions;
  /** Names the connections in `CLIENT LIST` (`<name>:commands`, `<name>:keyv`). */
  readonly name: string;
}

/** Delay before reconnect attempt `attempt` (1, 2, …): the one strategy of both clients. */
export function reconnectDelay(attempt: number, reconnect: RedisReconnectOptions): number {
  const exponent = Math.min(Math.max(attempt - 1, 0), 20);
  return Math.min(reconnect.baseDelayMs * 2 ** exponent, reconnect.maxDelayMs);
}

function tlsOf(settings: RedisClientSettings): RedisTlsOptions | undefined {
  const { tls } = settings.connection;
  if (tls === true) return {};
  return tls || undefined;
}

/** ioredis options (for a standalone client, or each node of a cluster) from the settings. */
export function ioredisOptions(settings: RedisClientSettings): RedisOptions {
  const { connection, timeoutMs } = settings;
  const tls = tlsOf(settings);
  return {
    commandTimeout: timeoutMs,
    connectTimeout: timeoutMs,
    maxRetriesPerRequest: 1,
    enableOfflineQueue: false, // a command during an outage fails at once instead of queueing
    enableAutoPipelining: true,
    lazyConnect: true,
    connectionName: `${settings.name}:commands`,
    retryStrategy: (attempt: number) => reconnectDelay(attempt, settings.reconnect),
    ...(connection.username === undefined ? {} : { username: connection.username }),
    ...(connection.password === undefined ? {} : { password: connection.password }),
    ...(tls ? { tls: { ...tls, ca: tls.ca as string | string[] | undefined } } : {}),
  };
}

/** node-redis options (client, or a cluster's defaults for every node) from the settings. */
export function nodeRedisOptions(settings: RedisClientSettings): {
  readonly socket: Record<string, unknown>;
  readonly disableOfflineQueue: true;
  readonly name: string;
  readonly commandOptions: { readonly timeout: number };
  readonly username?: string;
  readonly password?: string;
} {
  const { connection, timeoutMs } = settings;
  const tls = tlsOf(settings);
  return {
    socket: {
      connectTimeout: timeoutMs,
      reconnectStrategy: (retries: number) => reconnectDelay(retries + 1, settings.reconnect),
      ...(tls ? { tls: true, ...tls } : {}),
    },
    disableOfflineQueue: true,
    name: `${settings.name}:keyv`,
    commandOptions: { timeout: timeoutMs },
    ...(connection.username === undefined ? {} : { username: connection.username }),
    ...(connection.password === undefined ? {} : { password: connection.password }),
  };
}

export type CommandClient = Redis | Cluster;
export type KeyvClient = ReturnType<typeof createClient> | ReturnType<typeof createCluster>;

/** Both clients of one instance, not yet connected. */
export function createRedisClients(settings: RedisClientSettings): { commands: CommandClient; keyv: KeyvClient } {
  const { connection } = settings;
  const redisOptions = ioredisOptions(settings);
  const nodeOptions = nodeRedisOptions(settings);
  if ('url' in connection) {
    return {
      commands: new Redis(connection.url, redisOptions),
      keyv: createClient({ url: connection.url, ...nodeOptions }),
    };
  }
  const clusterOptions: ClusterOptions = {
    redisOptions,
    enableOfflineQueue: false,
    lazyConnect: true,
    clusterRetryStrategy: (attempt: number) => reconnectDelay(attempt, settings.reconnect),
  };
  const scheme = redisOptions.tls ? 'rediss' : 'redis';
  return {
    commands: new Cluster(
      connection.clusterNodes.map((node) => ({ host: node.host, port: node.port })),
      clusterOptions,
    ),
    keyv: createCluster({
      rootNodes: connection.clusterNodes.map((node) => ({ url: `${scheme}://${node.host}:${node.port}` })),
      defaults: nodeOptions,
    }),
  };
}
