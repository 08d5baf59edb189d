import { randomBytes } from 'node:crypto';
import type { StoredServer } from '../model/stored-server';
import {
  type NamedServerConfig,
  parseServerConfig,
  type ServerConfig,
  StrataError,
  assertServerName,
  assertUserId,
} from '@strata/config';
import type { TierName } from '../keys/key-builder';
import { describeError, silentLogger, type Logger } from '../runtime/logger';
import type { ChangeEvent } from '../model/change-event';
import { systemClock, type Clock } from '../runtime/clock';
import { TierNearCache, type NearCacheStats } from '../stores/tier-near-cache';
import { initializeAppTier, initializeTier, SHARED_TIER_MARKER, type AppTierInitResult } from './tier-initializer';
import type { RegistryBackend } from '../backends/backend';
import type { PrivateTierSource } from '../model/private-tier-source';
import type { VersionSource } from '../model/version-source';
import { checkRegistryOptions, DEFAULT_REGISTRY_OPTIONS, type RegistryOptions } from './registry-options';

/** Options of the read calls. */
export interface ReadOptions {
  /** Include this user's private servers. */
  readonly userId?: string;
  /** Include servers whose config says `enabled: false` (admin views). @defaultValue false */
  readonly includeDisabled?: boolean;
}

/** Disabled servers are left out of effective sets unless asked for. */
function isVisible(server: StoredServer, options: ReadOptions): boolean {
  return options.includeDisabled === true || server.config.enabled !== false;
}

/**
 * The registry of one instance: app and shared tiers through near caches kept current by the
 * change bus, private servers through the injected source, precedence app > shared > private.
 */
export class McpRegistry {
  readonly instanceId: string;
  private readonly backend: RegistryBackend;
  private readonly versions: VersionSource;
  private readonly appServers: readonly NamedServerConfig[];
  private readonly privateTier: PrivateTierSource | undefined;
  private readonly logger: Logger;
  private readonly clock: Clock;
  private readonly appLeaseTtlMs: number;
  private readonly appReadyTimeoutMs: number;
  private readonly caches: Record<TierName, TierNearCache>;
  private readonly sharedSource: (() => Promise<readonly StoredServer[]>) | undefined;
  private readonly rebuilding: Partial<Record<TierName, Promise<void>>> = {};
  private started = false;
  private unsubscribe: (() => void) | undefined;
  private closed = false;

  constructor(options: RegistryOptions) {
    checkRegistryOptions(options);
    this.backend = options.backend;
    this.versions = options.versions ?? options.backend;
    this.appServers = options.appServers ?? [];
    this.privateTier = options.privateTier;
    this.sharedSource = options.sharedSource;
    this.logger = options.logger ?? silentLogger;
    this.clock = options.clock ?? systemClock;
    this.instanceId = options.instanceId ?? randomBytes(6).toString('hex');
    this.appLeaseTtlMs = options.appLeaseTtlMs ?? DEFAULT_REGISTRY_OPTIONS.appLeaseTtlMs;
    this.appReadyTimeoutMs = options.appReadyTimeoutMs ?? DEFAULT_REGISTRY_OPTIONS.appReadyTimeoutMs;
    const cacheOptions = {
      maxStalenessMs: options.nearCacheMaxStalenessMs ?? DEFAULT_REGISTRY_OPTIONS.nearCacheMaxStalenessMs,
      retryAfterMs: DEFAULT_REGISTRY_OPTIONS.nearCacheRetryAfterMs,
      clock: this.clock,
      logger: this.logger,
    };
    this.caches = {
      app: new TierNearCache(this.backend.tierStore('app'), { ...cacheOptions, onLost: () => this.onLost('app') }),
      shared: new TierNearCache(this.backend.tierStore('shared'), {
        ...cacheOptions,
        onLost: () => this.onLost('shared'),
      }),
    };
  }

  /**
   * Subscribes to the change bus, then makes the app tier current (one instance writes it, the
   * others wait for it, bounded), then warms the near caches.
   */
  async start(): Promise<AppTierInitResult> {
    this.assertOpen();
    this.unsubscribe = this.backend.bus.subscribe((event) => this.onEvent(event));
    await this.backend.bus.start();
    const [result] = await Promise.all([this.initialize('app'), this.initialize('shared')]);
    await Promise.all([this.caches.app.refresh(), this.caches.shared.refresh()]);
    this.started = true;
    return result;
  }

  /**
   * Makes a tier current in storage: the app tier from this deploy's file, the shared tier from its
   * source of truth (when there is one). One instance writes; the others wait, bounded.
   */
  private async initialize(tier: TierName): Promise<AppTierInitResult> {
    const common = {
      backend: this.backend,
      versions: this.versions,
      instanceId: this.instanceId,
      clock: this.clock,
      logger: this.logger,
      leaseTtlMs: this.appLeaseTtlMs,
      readyTimeoutMs: this.appReadyTimeoutMs,
    };
    if (tier === 'app') return initializeAppTier({ ...common, servers: this.appServers });
    const source = this.sharedSource;
    if (!source) return { wrote: false, tierVersion: 0, contentHash: '' };
    return initializeTier({
      ...common,
      tier: 'shared',
      marker: SHARED_TIER_MARKER,
      build: async () => (await source()).map((server) => ({ ...server, tier: 'shared' as const })),
    });
  }

  /** A near cache found its tier gone from storage: rebuild it (once at a time), then re-read. */
  private onLost(tier: TierName): void {
    if (!this.started || this.closed || this.rebuilding[tier]) return;
    this.logger.warn('registry: a tier is gone from storage; rebuilding it', { tier });
    this.rebuilding[tier] = this.initialize(tier)
      .then(
        () => this.caches[tier].invalidate(),
        (error: unknown) => {
          this.logger.warn('registry: rebuilding a tier failed', { tier, ...describeError(error) });
        },
      )
      .finally(() => delete this.rebuilding[tier]);
  }

  /** One server by name as the user would get it, or undefined. */
  async getServer(name: string, options: ReadOptions = {}): Promise<StoredServer | undefined> {
    assertServerName(name);
    if (options.userId !== undefined) assertUserId(options.userId);
    // Hot path: both tiers fresh in this process — no await, no round trip. Otherwise both are
    // revalidated at once, so a call pays one deadline, not one per tier, when Redis hangs.
    const appFresh = this.caches.app.peek();
    const sharedFresh = this.caches.shared.peek();
    const [appTier, sharedTier] =
      appFresh && sharedFresh
        ? [appFresh, sharedFresh]
        : await Promise.all([appFresh ?? this.caches.app.read(), sharedFresh ?? this.caches.shared.read()]);
    const found = appTier.get(name) ?? sharedTier.get(name);
    if (found) return isVisible(found, options) ? found : undefined;
    if (options.userId === undefined || !this.privateTier) return undefined;
    const own = (await this.privateTier.getServers(options.userId)).find((server) => server.name === name);
    return own && isVisible(own, options) ? own : undefined;
  }

  /** The effective set: app ∪ shared ∪ private(user), each name once (app > shared > private). */
  async getServers(options: ReadOptions = {}): Promise<Map<string, StoredServer>> {
    if (options.userId !== undefined) assertUserId(options.userId);
    const [app, shared, own] = await Promise.all([
      this.caches.app.read(),
      this.caches.shared.read(),
      options.userId !== undefined && this.privateTier ? this.privateTier.getServers(options.userId) : [],
    ]);
    const result = new Map<string, StoredServer>();
    for (const tier of [app.values(), shared.values(), own]) {
      for (const server of tier) {
        if (result.has(server.name)) continue;
        if (options.includeDisabled !== true && server.config.enabled === false) continue;
        result.set(server.name, server);
      }
    }
    return result;
  }

  /** Adds a shared server. `NAME_RESERVED` for an app-tier name, `CONFLICT` if it exists. */
  async addSharedServer(name: string, config: unknown): Promise<StoredServer> {
    const parsed = this.validate(name, config);
    const { exists, version } = await this.prepareWrite(name);
    if (exists) throw new StrataError('CONFLICT', `shared server "${name}" already exists`);
    return this.writeShared(name, parsed, version);
  }

  /** Replaces a shared server's config; `NOT_FOUND` if there is none. */
  async updateSharedServer(name: string, config: unknown): Promise<StoredServer> {
    const parsed = this.validate(name, config);
    const { exists, version } = await this.prepareWrite(name);
    if (!exists) throw new StrataError('NOT_FOUND', `shared server "${name}" does not exist`);
    return this.writeShared(name, parsed, version);
  }

  /** Removes a shared server; false if there was none. */
  async removeSharedServer(name: string): Promise<boolean> {
    assertServerName(name);
    const version = await this.versions.nextVersion();
    const removed = await this.backend
      .tierStore('shared')
      .remove(name, { type: 'server.removed', tier: 'shared', name, version, origin: this.instanceId });
    this.caches.shared.invalidate();
    return removed;
  }

  /**
   * Makes the shared tier's cached copy of `name` agree with the source of truth: `server` written
   * (unless the cache already holds that version or a newer one) or, when undefined, removed. The
   * change is published, and this instance's near cache reads its own write at once.
   */
  async syncShared(name: string, server: StoredServer | undefined): Promise<void> {
    this.assertOpen();
    assertServerName(name);
    const shared = this.backend.tierStore('shared');
    try {
      if (server) {
        await shared.put(server, {
          type: 'server.put',
          tier: 'shared',
          name,
          version: server.version,
          origin: this.instanceId,
        });
      } else {
        const version = await this.versions.nextVersion();
        await shared.remove(name, { type: 'server.removed', tier: 'shared', name, version, origin: this.instanceId });
      }
    } finally {
      this.caches.shared.invalidate();
    }
  }

  /** True when `name` is an app-tier server (read from storage, never from a near cache). */
  async isAppServer(name: string): Promise<boolean> {
    assertServerName(name);
    return (await this.backend.tierStore('app').get(name)) !== undefined;
  }

  /** Counters of the app and shared near caches. */
  nearCacheStats(): Record<TierName, NearCacheStats> {
    return { app: { ...this.caches.app.stats }, shared: { ...this.caches.shared.stats } };
  }

  /** Unsubscribes and drops the near caches. The backend is the caller's to close. */
  close(): void {
    this.closed = true;
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    this.caches.app.clear();
    this.caches.shared.clear();
  }

  private validate(name: string, config: unknown): ServerConfig {
    this.assertOpen();
    assertServerName(name);
    return parseServerConfig(config, { pathPrefix: 'config' });
  }

  /**
   * What a shared-tier write decides on, read from Redis itself (never from a near cache) in one
   * concurrent step, so a write pays at most one deadline: is the name an app server (refused),
   * does the shared server exist, and the version to stamp (an unused version is a harmless gap).
   */
  private async prepareWrite(name: string): Promise<{ exists: boolean; version: number }> {
    const [app, shared, version] = await Promise.all([
      this.backend.tierStore('app').get(name),
      this.backend.tierStore('shared').get(name),
      this.versions.nextVersion(),
    ]);
    if (app) {
      throw new StrataError('NAME_RESERVED', `"${name}" is an app-tier server name (config file); choose another name`);
    }
    return { exists: shared !== undefined, version };
  }

  private async writeShared(name: string, config: ServerConfig, version: number): Promise<StoredServer> {
    const server: StoredServer = {
      name,
      tier: 'shared',
      config,
      version,
      updatedAt: new Date(this.clock.now()).toISOString(),
    };
    const result = await this.backend
      .tierStore('shared')
      .put(server, { type: 'server.put', tier: 'shared', name, version, origin: this.instanceId });
    this.caches.shared.invalidate();
    if (!result.written) {
      throw new StrataError(
        'CONFLICT',
        `shared server "${name}" was changed concurrently (stored version ${String(result.storedVersion)})`,
      );
    }
    return server;
  }

  private onEvent(event: ChangeEvent): void {
    try {
      if ('tier' in event) this.caches[event.tier].invalidate();
    } catch (error) {
      this.logger.error('registry: failed to apply a change event', describeError(error));
    }
  }

  private assertOpen(): void {
    if (this.closed) throw new StrataError('CLOSED', 'the registry is closed');
  }
}
