import {
  parseServerConfig,
  type ServerConfig,
  checkIntegerRanges,
  StrataError,
  ValidationError,
  assertServerName,
  userIdProblem,
} from '@strata/config';
import type { RegistryBackend } from '../backends/backend';
import type { McpRegistry } from '../registry/registry';
import { systemClock, type Clock } from '../runtime/clock';
import type { AccessRepository, PrivateServerDefinition } from '../private/access-repository';
import type { PrivateTier } from '../private/private-tier';

export interface AccessAdminOptions {
  readonly registry: McpRegistry;
  readonly privateTier: PrivateTier;
  readonly repository: AccessRepository;
  readonly backend: RegistryBackend;
  readonly clock?: Clock;
  /**
   * How long a promote or demote keeps the server in both tiers, so every instance's near caches
   * (shared snapshot and private copies) have moved past the old state before it leaves the first
   * tier. Must exceed the instances' near-cache bounds. @defaultValue 1250
   */
  readonly moveSettleMs?: number;
}

/**
 * Admin actions on private servers. Each writes the source of truth first, then invalidates
 * exactly the users whose access changed (generation bump: in-flight loads that read the old
 * truth cannot commit), so the cost is proportional to the users affected — never a scan.
 */
export class AccessAdmin {
  private readonly clock: Clock;
  private readonly moveSettleMs: number;

  constructor(private readonly options: AccessAdminOptions) {
    this.clock = options.clock ?? systemClock;
    this.moveSettleMs = options.moveSettleMs ?? 1_250;
    checkIntegerRanges(options, [['moveSettleMs', 0, 60_000]]);
  }

  /** Adds a private server shared with `userIds` (at least its owner). */
  async addPrivateServer(name: string, config: unknown, userIds: readonly string[]): Promise<PrivateServerDefinition> {
    const parsed = this.validate(name, config, userIds);
    await this.assertNameFree(name);
    const definition = await this.write(name, parsed, userIds);
    await this.options.privateTier.invalidateUsers(definition.userIds);
    return definition;
  }

  /** Shares the server with exactly `userIds`: grants the new ones, revokes the rest. */
  async setAccess(name: string, userIds: readonly string[]): Promise<PrivateServerDefinition> {
    assertServerName(name);
    checkUserIds(userIds);
    const current = await this.require(name);
    const definition: PrivateServerDefinition = { ...current, userIds: [...new Set(userIds)] };
    await this.options.repository.put(definition);
    await this.options.privateTier.invalidateUsers(symmetricDifference(current.userIds, definition.userIds));
    return definition;
  }

  /** Revokes the server from everyone (the definition stays, shared with nobody). */
  revokeAll(name: string): Promise<PrivateServerDefinition> {
    return this.setAccess(name, []);
  }

  /** Deletes a private server; everyone who had it loses it. */
  async removePrivateServer(name: string): Promise<boolean> {
    assertServerName(name);
    const removed = await this.options.repository.remove(name);
    if (removed) await this.options.privateTier.invalidateUsers(removed.userIds);
    return removed !== undefined;
  }

  /** New config for a server: private → every user holding it reloads; shared → the shared tier. */
  async updateServer(name: string, config: unknown): Promise<void> {
    assertServerName(name);
    const current = await this.options.repository.get(name);
    if (!current) {
      await this.options.registry.updateSharedServer(name, config);
      return;
    }
    const parsed = parseServerConfig(config, { pathPrefix: 'config' });
    const definition = await this.write(name, parsed, current.userIds);
    await this.options.privateTier.invalidateUsers(definition.userIds);
  }

  /**
   * Private → shared (visible to all). The server enters the shared tier first, stays in both for
   * `moveSettleMs` (readers merge tiers by name, so it shows once), then leaves every private cache.
   */
  async promote(name: string): Promise<void> {
    assertServerName(name);
    const current = await this.require(name);
    await this.options.registry.addSharedServer(name, current.config);
    await this.settle();
    await this.options.repository.remove(name);
    await this.options.privateTier.invalidateUsers(current.userIds);
  }

  /**
   * Shared → private for `userIds`. The listed users get it privately first; after
   * `moveSettleMs` it leaves the shared tier, and everyone else loses it.
   */
  async demote(name: string, userIds: readonly string[]): Promise<PrivateServerDefinition> {
    assertServerName(name);
    checkUserIds(userIds);
    const shared = await this.options.registry.getServer(name, { includeDisabled: true });
    if (shared?.tier !== 'shared') throw new StrataError('NOT_FOUND', `shared server "${name}" does not exist`);
    const definition = await this.write(name, shared.config, userIds);
    await this.options.privateTier.invalidateUsers(definition.userIds);
    await this.settle();
    await this.options.registry.removeSharedServer(name);
    return definition;
  }

  /** Drops one user's cached private servers everywhere (next read reloads). */
  invalidateUser(userId: string): Promise<void> {
    return this.options.privateTier.invalidateUsers([userId]);
  }

  private async write(
    name: string,
    config: ServerConfig,
    userIds: readonly string[],
  ): Promise<PrivateServerDefinition> {
    const definition: PrivateServerDefinition = {
      name,
      config,
      version: await this.options.backend.nextVersion(),
      updatedAt: new Date(this.clock.now()).toISOString(),
      userIds: [...new Set(userIds)],
    };
    await this.options.repository.put(definition);
    return definition;
  }

  private validate(name: string, config: unknown, userIds: readonly string[]): ServerConfig {
    assertServerName(name);
    checkUserIds(userIds);
    return parseServerConfig(config, { pathPrefix: 'config' });
  }

  private async assertNameFree(name: string): Promise<void> {
    const existing = await this.options.registry.getServer(name, { includeDisabled: true });
    if (existing?.tier === 'app') throw new StrataError('NAME_RESERVED', `"${name}" is an app-tier server name`);
    if (existing || (await this.options.repository.get(name))) {
      throw new StrataError('CONFLICT', `a server named "${name}" already exists`);
    }
  }

  private async require(name: string): Promise<PrivateServerDefinition> {
    const current = await this.options.repository.get(name);
    if (!current) throw new StrataError('NOT_FOUND', `private server "${name}" does not exist`);
    return current;
  }

  private settle(): Promise<void> {
    return new Promise((resolve) => setTimeout(resolve, this.moveSettleMs));
  }
}

function checkUserIds(userIds: readonly string[]): void {
  if (!Array.isArray(userIds)) {
    throw new ValidationError('INVALID_USER_ID', [{ path: 'userIds', message: 'must be an array' }]);
  }
  const issues = userIds.flatMap((userId, index) => {
    const problem = userIdProblem(userId);
    return problem ? [{ path: `userIds.${index}`, message: problem }] : [];
  });
  if (issues.length > 0) throw new ValidationError('INVALID_USER_ID', issues);
}

function symmetricDifference(a: readonly string[], b: readonly string[]): string[] {
  const left = new Set(a);
  const right = new Set(b);
  return [...a.filter((item) => !right.has(item)), ...b.filter((item) => !left.has(item))];
}
