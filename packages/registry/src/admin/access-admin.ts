import {
  assertServerName,
  checkIntegerRanges,
  isPublic,
  PERMISSION,
  parseGrants,
  parseServerConfig,
  StrataError,
  userIdProblem,
  ValidationError,
  type Grant,
  type Principal,
  type ServerConfig,
} from '@strata/config';
import type { ServerOrigin, StoredServer } from '../model/stored-server';
import {
  toPrivateDefinition,
  type AccessRepository,
  type PrivateServerDefinition,
  type ServerDefinition,
} from '../private/access-repository';
import type { PrivateTier } from '../private/private-tier';
import type { McpRegistry } from '../registry/registry';
import { systemClock, type Clock } from '../runtime/clock';
import { describeError, silentLogger, type Logger } from '../runtime/logger';

/** The steps of a change, where a test can pause it (a process that died there) or fail it. */
export type ChangeStep = 'before-write' | 'after-write' | 'after-effects';

/** Test hooks: pause or fail a change at one of its steps. Never resolving = a process that died there. */
export interface AccessAdminHooks {
  /** After the pending record, before the database write. */
  readonly beforeWrite?: (intent: { readonly server?: string; readonly group?: string }) => Promise<void>;
  /** After the database write, before the cache effects. */
  readonly afterWrite?: (intent: { readonly server?: string; readonly group?: string }) => Promise<void>;
  /** After the cache effects, before the pending record is deleted. */
  readonly afterEffects?: (intent: { readonly server?: string; readonly group?: string }) => Promise<void>;
}

export interface AccessAdminOptions {
  readonly registry: McpRegistry;
  readonly privateTier: PrivateTier;
  /** The source of truth (database): servers, grants, groups, versions, pending changes. */
  readonly repository: AccessRepository;
  readonly clock?: Clock;
  readonly logger?: Logger;
  /**
   * How long a promote or demote keeps the server in both tiers, so every instance's near caches
   * (shared snapshot and private copies) have moved past the old state before it leaves the first
   * tier. Must exceed the instances' near-cache bounds. @defaultValue 1250
   */
  readonly moveSettleMs?: number;
  readonly hooks?: AccessAdminHooks;
}

/** A change's cache effects: users whose private servers to drop, and the server whose shared-tier copy to sync. */
interface Effects {
  readonly userIds: readonly string[];
  readonly server?: string;
}

/**
 * Every change to database servers and their access. The database is written first, in one atomic
 * step per document whose result says what changed; the cache effects are computed from that
 * result (group members included) and applied: drop exactly the affected users' private servers
 * (generation bump, so in-flight loads that read the old truth cannot commit) and make the shared
 * tier's copy agree with the database. Each change is recorded as pending before its write and
 * forgotten after its effects, so a change whose process died, or whose effects failed (Redis
 * unavailable), is finished by any instance's {@link ChangeReplayer}.
 */
export class AccessAdmin {
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly moveSettleMs: number;
  private readonly repository: AccessRepository;

  constructor(private readonly options: AccessAdminOptions) {
    checkIntegerRanges(options, [['moveSettleMs', 0, 60_000]]);
    this.clock = options.clock ?? systemClock;
    this.logger = options.logger ?? silentLogger;
    this.moveSettleMs = options.moveSettleMs ?? 1_250;
    this.repository = options.repository;
  }

  /**
   * Creates a server with these grants (a `public` VIEW grant: the shared tier). `NAME_RESERVED`,
   * `CONFLICT`. `origin: 'user'` marks a config a user supplied: it is connected under the
   * user-supplied rules (no `${VAR}` from the environment, outbound-address guard, no stdio).
   */
  async createServer(
    name: string,
    config: unknown,
    grants: unknown,
    author?: string,
    origin?: ServerOrigin,
  ): Promise<ServerDefinition> {
    assertServerName(name);
    const parsed = parseServerConfig(config, { pathPrefix: 'config' });
    const checked = parseGrants(grants);
    await this.assertNotApp(name);
    return this.change({ server: name }, async () => {
      const version = await this.repository.nextVersion();
      const created = await this.repository.create({
        name,
        config: parsed,
        version,
        grants: checked,
        ...(author === undefined ? {} : { author }),
        ...(origin === 'user' ? { origin } : {}),
      });
      return { result: created, effects: { userIds: await this.reach(checked), server: name } };
    });
  }

  /** Adds a private server shared with `userIds` (VIEW). */
  async addPrivateServer(name: string, config: unknown, userIds: readonly string[]): Promise<PrivateServerDefinition> {
    assertServerName(name);
    checkUserIds(userIds);
    parseServerConfig(config, { pathPrefix: 'config' });
    return toPrivateDefinition(await this.createServer(name, config, userGrants(userIds)));
  }

  /** Makes the server's grants exactly `grants`: granted, revoked and changed principals are the ones invalidated. */
  async setGrants(name: string, grants: unknown): Promise<ServerDefinition> {
    assertServerName(name);
    const checked = parseGrants(grants);
    return this.change({ server: name }, async () => {
      const { definition, changed } = await this.repository.setGrants(name, checked);
      // Only the changed principals' users: holders by name keep their private copy across a tier
      // move (the loader lists public servers granted by name), and the shared copy is synced.
      const principals = changed.map((change) => change.principal);
      return { result: definition, effects: { userIds: await this.reach(principals), server: name } };
    });
  }

  /** Shares the server with exactly `userIds` (VIEW; other grants kept): grants the new ones, revokes the rest. */
  async setAccess(name: string, userIds: readonly string[]): Promise<PrivateServerDefinition> {
    assertServerName(name);
    checkUserIds(userIds);
    const current = await this.require(name);
    const others = current.grants.filter((grant) => grant.principal.type !== 'user');
    return toPrivateDefinition(await this.setGrants(name, [...others, ...userGrants(userIds)]));
  }

  /** Revokes the server from every user (the definition stays). */
  revokeAll(name: string): Promise<PrivateServerDefinition> {
    return this.setAccess(name, []);
  }

  /** Deletes a server from whichever tier holds it; everyone who had it loses it. */
  async removeServer(name: string): Promise<ServerDefinition | undefined> {
    assertServerName(name);
    return this.change({ server: name }, async () => {
      const removed = await this.repository.remove(name);
      const userIds = removed ? await this.reach(removed.grants.map((grant) => grant.principal)) : [];
      return { result: removed, effects: { userIds, server: name } };
    });
  }

  /** Deletes a server; false when there was none. */
  async removePrivateServer(name: string): Promise<boolean> {
    return (await this.removeServer(name)) !== undefined;
  }

  /** New config (and version) for a server in either tier: every holder reloads, the shared copy is rewritten. */
  async updateServer(name: string, config: unknown): Promise<ServerDefinition> {
    assertServerName(name);
    const parsed = parseServerConfig(config, { pathPrefix: 'config' });
    return this.change({ server: name }, async () => {
      const version = await this.repository.nextVersion();
      const updated = await this.repository.updateConfig(name, parsed, version);
      const userIds = await this.reach(updated.grants.map((grant) => grant.principal));
      return { result: updated, effects: { userIds, server: name } };
    });
  }

  /**
   * Private → shared (visible to everyone): one database step (a `public` VIEW grant; every other
   * grant stays, so its holders keep their private copies and never miss it), then the shared
   * tier gets it. Readers merge tiers by name: it shows once.
   */
  async promote(name: string): Promise<ServerDefinition> {
    assertServerName(name);
    await this.assertNotApp(name);
    return this.change({ server: name }, async () => {
      const current = await this.require(name);
      if (isPublic(current.grants)) return { result: current, effects: { userIds: [], server: name } };
      const grants = [...current.grants, { principal: { type: 'public' } as const, bits: PERMISSION.VIEW }];
      const { definition } = await this.repository.setGrants(name, grants);
      return { result: definition, effects: { userIds: [], server: name } };
    });
  }

  /**
   * Shared → private for `userIds`: one database step (`public` removed, the users granted), the
   * users reload privately, and after `moveSettleMs` it leaves the shared tier.
   */
  async demote(name: string, userIds: readonly string[]): Promise<PrivateServerDefinition> {
    assertServerName(name);
    checkUserIds(userIds);
    return this.change({ server: name }, async () => {
      const current = await this.require(name);
      if (!isPublic(current.grants)) throw new StrataError('NOT_FOUND', `shared server "${name}" does not exist`);
      // Private to exactly the listed users: `public` and every other grant go; a listed user keeps
      // any other bits they held, plus VIEW.
      const held = new Map(
        current.grants.flatMap((grant) =>
          grant.principal.type === 'user' ? [[grant.principal.id, grant.bits] as const] : [],
        ),
      );
      const granted = userGrants(userIds).map((grant) =>
        grant.principal.type === 'user' ? { ...grant, bits: grant.bits | (held.get(grant.principal.id) ?? 0) } : grant,
      );
      const { definition } = await this.repository.setGrants(name, granted);
      await this.options.privateTier.invalidateUsers(await this.reach(principalsOf(definition.grants)));
      await this.settle();
      // Former private holders who are not listed lose it too.
      return {
        result: toPrivateDefinition(definition),
        effects: { userIds: await this.reach(principalsOf(current.grants)), server: name },
      };
    });
  }

  /** Drops one user's cached private servers everywhere (next read reloads). */
  invalidateUser(userId: string): Promise<void> {
    return this.options.privateTier.invalidateUsers([userId]);
  }

  /** Group membership: the added members gain the group's servers. */
  async addMembers(groupId: string, userIds: readonly string[]): Promise<string[]> {
    checkUserIds(userIds);
    return this.change({ userIds }, async () => {
      const added = await this.repository.addMembers(groupId, userIds);
      return { result: added, effects: { userIds: added } };
    });
  }

  /** Group membership: the removed members lose the group's servers on every instance. */
  async removeMembers(groupId: string, userIds: readonly string[]): Promise<string[]> {
    checkUserIds(userIds);
    return this.change({ userIds }, async () => {
      const removed = await this.repository.removeMembers(groupId, userIds);
      return { result: removed, effects: { userIds: removed } };
    });
  }

  /** Deletes a group: its members lose its servers. */
  async removeGroup(groupId: string): Promise<boolean> {
    const members = await this.repository.usersOf([{ type: 'group', id: groupId }]);
    return this.change({ group: groupId, userIds: members }, async () => {
      const removed = await this.repository.removeGroup(groupId);
      return { result: removed !== undefined, effects: { userIds: [...new Set([...members, ...(removed ?? [])])] } };
    });
  }

  /**
   * Makes the caches agree with the database for a change whose effects may not have happened
   * (its process died, or Redis failed): every user who holds or recently held a grant on the
   * server (tombstones included) or was named by the change is invalidated, and the shared tier's
   * copy is rewritten from the database. Idempotent: running it twice costs a reload, nothing more.
   */
  async replay(change: {
    readonly server?: string;
    readonly group?: string;
    readonly userIds: readonly string[];
  }): Promise<void> {
    const principals: Principal[] = change.server ? await this.repository.principalsOf(change.server) : [];
    if (change.group) principals.push({ type: 'group', id: change.group });
    const userIds = [...new Set([...change.userIds, ...(await this.reach(principals))])];
    await this.apply({ userIds, ...(change.server === undefined ? {} : { server: change.server }) });
  }

  /** Records the change, runs the database write, applies its effects, forgets the change. */
  private async change<T>(
    intent: { readonly server?: string; readonly group?: string; readonly userIds?: readonly string[] },
    write: () => Promise<{ result: T; effects: Effects }>,
  ): Promise<T> {
    const id = await this.repository.beginChange(intent);
    let outcome: { result: T; effects: Effects };
    try {
      await this.options.hooks?.beforeWrite?.(intent);
      outcome = await write();
    } catch (error) {
      // Refused before writing (not found, conflict, bad input): nothing to finish. Any other
      // failure may have written part of the change: the record stays and a replay makes the
      // caches agree with whatever the database now holds.
      if (error instanceof StrataError && NOTHING_WRITTEN.has(error.code)) {
        await this.repository.endChange(id).catch(() => undefined);
      }
      throw error;
    }
    try {
      await this.options.hooks?.afterWrite?.(intent);
      await this.apply(outcome.effects);
      await this.options.hooks?.afterEffects?.(intent);
      await this.repository.endChange(id);
    } catch (error) {
      // The database holds the change; the pending record makes another instance finish its effects.
      this.logger.warn('access admin: cache effects deferred to the replayer', describeError(error));
    }
    return outcome.result;
  }

  private async apply(effects: Effects): Promise<void> {
    if (effects.server !== undefined) {
      // Read again rather than reuse the write's result: a concurrent change may have landed since,
      // and a tier move keeps the version, so the shared tier must follow what the database holds now.
      const definition = await this.repository.get(effects.server);
      const shared = definition && isPublic(definition.grants) ? stored(definition) : undefined;
      await this.options.registry.syncShared(effects.server, shared);
    }
    if (effects.userIds.length > 0) await this.options.privateTier.invalidateUsers(effects.userIds);
  }

  private reach(principals: readonly (Principal | Grant)[]): Promise<string[]> {
    return this.repository.usersOf(principals.map((item) => ('principal' in item ? item.principal : item)));
  }

  private async assertNotApp(name: string): Promise<void> {
    if (await this.options.registry.isAppServer(name)) {
      throw new StrataError('NAME_RESERVED', `"${name}" is an app-tier server name (config file); choose another name`);
    }
  }

  /** The server, or `NOT_FOUND`. */
  async require(name: string): Promise<ServerDefinition> {
    const current = await this.repository.get(name);
    if (!current) throw new StrataError('NOT_FOUND', `no server named "${name}"`);
    return current;
  }

  private settle(): Promise<void> {
    return new Promise((resolve) => setTimeout(resolve, this.moveSettleMs));
  }
}

/** Errors a write refuses with before changing anything. */
const NOTHING_WRITTEN: ReadonlySet<string> = new Set([
  'NOT_FOUND',
  'CONFLICT',
  'NAME_RESERVED',
  'INVALID_CONFIG',
  'INVALID_NAME',
  'INVALID_USER_ID',
  'INVALID_ACCESS',
]);

/** The shared tier's copy of a database server. */
function stored(definition: ServerDefinition): StoredServer {
  const { name, config, version, updatedAt } = definition;
  return { name, tier: 'shared', config: config satisfies ServerConfig, version, updatedAt };
}

function userGrants(userIds: readonly string[]): Grant[] {
  return [...new Set(userIds)].map((id) => ({ principal: { type: 'user', id }, bits: PERMISSION.VIEW }));
}

function principalsOf(grants: readonly Grant[]): Principal[] {
  return grants.map((grant) => grant.principal).filter((principal) => principal.type !== 'public');
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
