import { randomBytes } from 'node:crypto';
import { parseServerConfig, StrataError, ValidationError, type ConnectionStateName } from '@strata/config';
import { AccessAdmin } from './admin/access-admin';
import { StrataAdmin } from './admin/strata-admin';
import { ChangeReplayer } from './admin/change-replayer';
import type { RegistryBackend } from './backends/backend';
import { createMemoryBackend } from './backends/memory-backend';
import { createRedisBackend } from './backends/redis-backend';
import type { BusStats } from './bus/change-bus';
import { ConnectionManager } from './connections/connection-manager';
import { EventFeed, type PublicEventListener } from './events/event-feed';
import type { StoredServer } from './model/stored-server';
import { MemoryAccessRepository } from './private/access-repository';
import { PrivateTier, type PrivateTierStats } from './private/private-tier';
import { McpRegistry, type ReadOptions } from './registry/registry';
import { systemClock } from './runtime/clock';
import { describeError, silentLogger } from './runtime/logger';
import { rateLimitedLogger, type ClosableLogger } from './runtime/rate-limited-logger';
import type { NearCacheStats } from './stores/tier-near-cache';
import { ToolsCache } from './stores/tools-cache';
import { resolveStrataOptions, type StrataOptions } from './strata-options';

/** Every counter of one instance, in one place (an API exports them as metrics). */
export interface StrataStats {
  readonly instanceId: string;
  /** Private tier: loader calls, commits, lock waits, stale-generation drops, lost locks, near-cache hits/misses. */
  readonly privateTier: Readonly<PrivateTierStats>;
  /** App and shared near caches: hits, misses, refresh failures. */
  readonly nearCache: Readonly<Record<'app' | 'shared', NearCacheStats>>;
  /** Change bus: events received, malformed messages dropped, subscriber reconnects. */
  readonly bus: Readonly<BusStats>;
  /** This instance's live connections by state. */
  readonly connections: Readonly<Record<ConnectionStateName, number>>;
}

/**
 * One Strata instance: storage backend, private tier, registry, admin, tools cache, connections
 * and the public event feed, built and wired by {@link createStrata} with one `instanceId`.
 * `start()` starts them in order; `close()` stops everything it built.
 */
export class Strata {
  private started: Promise<void> | undefined;
  private closing: Promise<void> | undefined;

  /** @internal Built by {@link createStrata}. */
  constructor(
    readonly instanceId: string,
    /** Storage: tier stores, private store, bus, leases. */
    readonly backend: RegistryBackend,
    private readonly ownsBackend: boolean,
    /** The private tier: lazy, once-across-instances loading of users' private servers. */
    readonly privateTier: PrivateTier,
    /** Reads: a user's effective set (app ∪ shared ∪ private). */
    readonly registry: McpRegistry,
    /** Admin actions: create, update, delete, share, promote, demote, groups. */
    readonly admin: StrataAdmin,
    /** Finishes interrupted changes (any instance's) from their pending records. */
    readonly replayer: ChangeReplayer,
    /** Tool lists per server, shared across instances. */
    readonly tools: ToolsCache,
    /** Live MCP connections (app, user, chat-session scopes). */
    readonly connections: ConnectionManager,
    private readonly feed: EventFeed,
    private readonly logger: ClosableLogger,
    private readonly startTimeoutMs: number,
  ) {}

  /**
   * Subscribes the private tier, then starts the registry (app tier made current by one leader,
   * near caches warmed). Bounded by `startTimeoutMs` (`TIMEOUT`); idempotent.
   */
  start(): Promise<void> {
    if (this.closing) return Promise.reject(new StrataError('CLOSED', 'this Strata instance is closed'));
    this.started ??= withDeadline(
      (async () => {
        await this.privateTier.start();
        await this.registry.start();
        this.replayer.start();
      })(),
      this.startTimeoutMs,
      () => new StrataError('TIMEOUT', `Strata did not start within ${this.startTimeoutMs} ms`),
    );
    return this.started;
  }

  /** The login hook: loads the user's private servers (once across instances) and returns the effective set. */
  async login(userId: string): Promise<Map<string, StoredServer>> {
    await this.privateTier.ensureLoaded(userId);
    return this.registry.getServers({ userId });
  }

  /** The effective set of a user (or the app without `userId`): each name once, app > shared > private. */
  async getServers(options: ReadOptions = {}): Promise<Map<string, StoredServer>> {
    return this.registry.getServers(readOptions(options));
  }

  /** One server as the user would get it, or undefined. */
  async getServer(name: string, options: ReadOptions = {}): Promise<StoredServer | undefined> {
    return this.registry.getServer(name, readOptions(options));
  }

  /**
   * Calls `listener` with every public event: every instance's server, tier, access, load and
   * tools changes, and this instance's connection state changes. Never a config, env or header.
   */
  subscribe(listener: PublicEventListener): () => void {
    if (typeof listener !== 'function') throw new StrataError('INVALID_INPUT', 'listener: must be a function');
    return this.feed.subscribe(listener);
  }

  stats(): StrataStats {
    const connections: Record<ConnectionStateName, number> = {
      connecting: 0,
      connected: 0,
      reconnecting: 0,
      error: 0,
      closed: 0,
    };
    for (const { status } of this.connections.status()) connections[status.state] += 1;
    return {
      instanceId: this.instanceId,
      privateTier: { ...this.privateTier.stats },
      nearCache: this.registry.nearCacheStats(),
      bus: { ...this.backend.bus.stats },
      connections,
    };
  }

  /**
   * Stops everything in reverse order of dependence — connections (children end, sessions are
   * terminated; subscribers see them close), event feed, tools cache, registry, private tier (loaders aborted) — then closes
   * the backend if this instance built it. Idempotent; nothing is left running.
   */
  close(): Promise<void> {
    this.closing ??= (async () => {
      await this.connections.close().catch((error: unknown) => {
        this.logger.warn('strata: closing connections failed', describeError(error));
      });
      this.feed.close(); // after the connections, so subscribers see them close
      await this.replayer.close();
      this.tools.close();
      this.registry.close();
      this.privateTier.close();
      if (this.ownsBackend) await this.backend.close();
      this.logger.close(); // pending repeat counts are written now
    })();
    return this.closing;
  }
}

/**
 * Builds one Strata instance: memory by default, Redis (standalone or cluster) with `redis`, or
 * the caller's `backend`. Options are checked together (`INVALID_OPTIONS` names every bad field,
 * cross-component rules included) before anything connects; a failure after the backend connected
 * closes it again. Call `start()` next.
 *
 * ```ts
 * const strata = await createStrata({ redis: { url: process.env.REDIS_URI! }, appServers, repository });
 * await strata.start();
 * const servers = await strata.login(userId);
 * await strata.close();
 * ```
 */
export async function createStrata(options: StrataOptions = {}): Promise<Strata> {
  const resolved = resolveStrataOptions(options);
  const clock = options.clock ?? systemClock;
  // Every component logs through one limiter: a repeated line once per kind per interval, with a count.
  const logger = rateLimitedLogger(options.logger ?? silentLogger, {
    clock,
    ...(options.logRepeatIntervalMs === undefined ? {} : { intervalMs: options.logRepeatIntervalMs }),
  });
  const instanceId = options.instanceId ?? randomBytes(6).toString('hex');
  const repository = options.repository ?? new MemoryAccessRepository();
  const loader = options.loader ?? ((userId: string) => repository.serversForUser(userId));

  const backend =
    options.backend ??
    (options.redis
      ? await createRedisBackend({
          connection: options.redis,
          logger,
          ...(options.keyPrefix === undefined ? {} : { keyPrefix: options.keyPrefix }),
          ...(options.redisTimeoutMs === undefined ? {} : { timeoutMs: options.redisTimeoutMs }),
        }).catch((error: unknown) => {
          logger.close();
          throw error;
        })
      : createMemoryBackend({
          clock,
          logger,
          ...(options.keyPrefix === undefined ? {} : { keyPrefix: options.keyPrefix }),
        }));
  try {
    const privateTier = new PrivateTier({
      ...options.privateTier,
      store: backend.privateStore,
      bus: backend.bus,
      loader,
      logger,
      clock,
      instanceId,
      nearCacheTtlMs: resolved.privateNearCacheTtlMs,
    });
    const registry = new McpRegistry({
      ...options.registry,
      backend,
      versions: repository, // versions come from the database: never backwards, not even after a Redis flush
      sharedSource: async () =>
        (await repository.sharedServers()).map((record) => ({
          name: record.name,
          tier: 'shared' as const,
          config: parseServerConfig(record.config, { pathPrefix: `shared.${record.name}` }),
          version: record.version,
          updatedAt: record.updatedAt ?? '',
          ...(record.origin === 'user' ? { origin: 'user' as const } : {}),
        })),
      privateTier,
      appServers: options.appServers ?? [],
      logger,
      clock,
      instanceId,
      nearCacheMaxStalenessMs: resolved.nearCacheMaxStalenessMs,
    });
    const access = new AccessAdmin({
      registry,
      privateTier,
      repository,
      clock,
      logger,
      moveSettleMs: resolved.moveSettleMs,
      ...(options.admin?.hooks ? { hooks: options.admin.hooks } : {}),
    });
    const replayer = new ChangeReplayer({
      repository,
      admin: access,
      logger,
      graceMs: options.admin?.replayGraceMs ?? 2_000,
      intervalMs: options.admin?.replayIntervalMs ?? 1_000,
      leaseMs: 10_000,
    });
    const negativeTtlMs = options.connections?.negativeTtlMs;
    const tools = new ToolsCache({
      keyv: backend.toolsKeyv,
      bus: backend.bus,
      instanceId,
      clock,
      keys: backend.keys,
      ...(negativeTtlMs === undefined ? {} : { negativeTtlMs }),
      ...(options.tools?.ttlMs === undefined ? {} : { ttlMs: options.tools.ttlMs }),
    });
    const connections = new ConnectionManager({
      ...options.connections,
      registry,
      bus: backend.bus,
      toolsCache: tools,
      logger,
      clock,
      instanceId,
    });
    const feed = new EventFeed(backend.bus, connections, instanceId, logger);
    const admin = new StrataAdmin(access, repository);
    return new Strata(
      instanceId,
      backend,
      options.backend === undefined,
      privateTier,
      registry,
      admin,
      replayer,
      tools,
      connections,
      feed,
      logger,
      resolved.startTimeoutMs,
    );
  } catch (error) {
    if (options.backend === undefined) await backend.close().catch(() => undefined);
    logger.close();
    throw error;
  }
}

/** A read's options: an object (its `userId` is checked by the registry), never null or a primitive. */
function readOptions(options: ReadOptions): ReadOptions {
  const value: unknown = options;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ValidationError('INVALID_OPTIONS', [{ path: 'options', message: 'must be an object' }]);
  }
  return options;
}

/** Settles with `work`, or rejects with `timeoutError()` after `timeoutMs`; the timer is always cleared. */
function withDeadline<T>(work: Promise<T>, timeoutMs: number, timeoutError: () => Error): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(timeoutError()), timeoutMs);
  });
  return Promise.race([work, deadline]).finally(() => clearTimeout(timer));
}
