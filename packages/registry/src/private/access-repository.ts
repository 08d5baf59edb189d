import { randomBytes } from 'node:crypto';
import {
  isPublic,
  PERMISSION,
  principalKey,
  StrataError,
  type Grant,
  type Principal,
  type ServerConfig,
} from '@strata/config';
import type { PrivateServerRecord } from './private-tier-options';
import type { ServerOrigin } from '../model/stored-server';

/** A database server: its config, version and who may do what with it. */
export interface ServerDefinition {
  readonly name: string;
  readonly config: ServerConfig;
  /** From the database's version sequence: never goes backwards, not even across a Redis flush. */
  readonly version: number;
  readonly updatedAt: string;
  /** Who created it (a user id), when known. */
  readonly author: string | undefined;
  /** `user` when a user supplied the config; absent for operators' servers. */
  readonly origin?: ServerOrigin;
  /** Live grants (bits > 0). A `public` VIEW grant puts the server in the shared tier. */
  readonly grants: readonly Grant[];
}

/** A private server as the older, user-list view of access describes it. */
export interface PrivateServerDefinition {
  readonly name: string;
  readonly config: ServerConfig;
  readonly version: number;
  readonly updatedAt: string;
  /** Users with a direct VIEW grant. */
  readonly userIds: readonly string[];
}

/** What a grant change actually did, principal by principal (0 = no grant). */
export interface GrantChange {
  readonly definition: ServerDefinition;
  readonly changed: ReadonlyArray<{ readonly principal: Principal; readonly before: number; readonly after: number }>;
}

/**
 * A change whose cache effects are not known to be done: recorded (durably) before the database
 * write, deleted after the caches agree. Any instance replays one whose process died.
 */
export interface PendingChange {
  readonly id: string;
  /** A server whose caches must be made to agree with the database. */
  readonly server: string | undefined;
  /** A group (being deleted) whose members must be invalidated. */
  readonly group: string | undefined;
  /** Users whose cached private servers must be dropped. */
  readonly userIds: readonly string[];
  /** When the change began (ms since the epoch, the recording process's clock). */
  readonly startedAt: number;
}

export interface NewServer {
  readonly name: string;
  readonly config: ServerConfig;
  readonly version: number;
  readonly author?: string;
  /** `user` for a server a user supplied (their own private server). @defaultValue operator */
  readonly origin?: ServerOrigin;
  readonly grants: readonly Grant[];
}

/**
 * The source of truth for database servers, their access (grants to users, groups and `public`),
 * groups, the version sequence and pending changes. Every write is one atomic step in the database
 * and says what it changed; revoked grants are kept as tombstones (bits 0) so a replay of an
 * interrupted change can still find whom it concerned. Implementations: memory (this file) and
 * mongoose (`@strata/data-schemas`); both pass `accessRepositoryContract`.
 */
export interface AccessRepository {
  /** Next value of the version sequence. */
  nextVersion(): Promise<number>;
  /**
   * The private tier's loader: servers the user may VIEW through a grant to them or to one of their
   * groups — public ones included, so a server moving between tiers is never missing from both.
   * Servers reachable only through `public` are the shared tier's and not listed.
   */
  serversForUser(userId: string, context?: { readonly signal?: AbortSignal }): Promise<PrivateServerRecord[]>;
  /** The shared tier's source: servers with a `public` VIEW grant. */
  sharedServers(): Promise<PrivateServerRecord[]>;
  get(name: string): Promise<ServerDefinition | undefined>;
  list(): Promise<ServerDefinition[]>;
  /** Users the principals reach by name (group members expanded; `public` reaches no one by name). */
  usersOf(principals: readonly Principal[]): Promise<string[]>;
  /** Every principal that holds, or recently held (tombstone), a grant on the server. */
  principalsOf(name: string): Promise<Principal[]>;
  /** Creates a server; `CONFLICT` when the name exists. */
  create(server: NewServer): Promise<ServerDefinition>;
  /** New config and version; `NOT_FOUND` when there is no such server. */
  updateConfig(name: string, config: ServerConfig, version: number): Promise<ServerDefinition>;
  /** Makes the server's grants exactly `grants`; says what changed; `NOT_FOUND` when there is no such server. */
  setGrants(name: string, grants: readonly Grant[]): Promise<GrantChange>;
  /** Deletes a server (its grants become tombstones); resolves with what was deleted. */
  remove(name: string): Promise<ServerDefinition | undefined>;
  /** Creates a group; `CONFLICT` when the id exists. */
  createGroup(id: string, name: string, members: readonly string[]): Promise<void>;
  /** Adds members; resolves with those not already members. `NOT_FOUND` when there is no such group. */
  addMembers(groupId: string, userIds: readonly string[]): Promise<string[]>;
  /** Removes members; resolves with those that were members. */
  removeMembers(groupId: string, userIds: readonly string[]): Promise<string[]>;
  /** Deletes a group; resolves with its members at deletion, undefined when there was none. */
  removeGroup(groupId: string): Promise<string[] | undefined>;
  /** Records a change before its database write; resolves with its id. */
  beginChange(change: {
    readonly server?: string;
    readonly group?: string;
    readonly userIds?: readonly string[];
  }): Promise<string>;
  /** The change's cache effects are done: forget it. */
  endChange(id: string): Promise<void>;
  /** Changes begun more than `olderThanMs` ago and not ended, each claimed for `leaseMs` (one replayer each). */
  claimStaleChanges(olderThanMs: number, leaseMs: number): Promise<PendingChange[]>;
}

/** The grants as the older user-list view: users with a direct VIEW grant. */
export function directUsers(grants: readonly Grant[]): string[] {
  return grants.flatMap((grant) =>
    grant.principal.type === 'user' && (grant.bits & PERMISSION.VIEW) !== 0 ? [grant.principal.id] : [],
  );
}

export function toPrivateDefinition(definition: ServerDefinition): PrivateServerDefinition {
  const { name, config, version, updatedAt, grants } = definition;
  return { name, config, version, updatedAt, userIds: directUsers(grants) };
}

interface StoredGrant {
  readonly principal: Principal;
  bits: number;
  updatedAt: number;
}

interface StoredServerDoc {
  name: string;
  config: ServerConfig;
  version: number;
  updatedAt: string;
  author: string | undefined;
  origin: ServerOrigin | undefined;
}

/**
 * In-process repository: memory mode and tests. Reads are asynchronous like a query; each write
 * runs to completion without an await in between, which is what makes it atomic here.
 */
export class MemoryAccessRepository implements AccessRepository {
  private readonly servers = new Map<string, StoredServerDoc>();
  /** server name → principal key → grant (tombstones: bits 0). Kept after a server is deleted. */
  private readonly grants = new Map<string, Map<string, StoredGrant>>();
  private readonly groups = new Map<string, { name: string; members: Set<string> }>();
  private readonly pending = new Map<string, PendingChange & { claimedUntil: number }>();
  private sequence = 0;
  /** How many times `serversForUser` ran (the loader's database reads). */
  reads = 0;

  constructor(private readonly now: () => number = Date.now) {}

  nextVersion(): Promise<number> {
    return Promise.resolve((this.sequence += 1));
  }

  async serversForUser(userId: string): Promise<PrivateServerRecord[]> {
    this.reads += 1;
    await tick();
    const groups = [...this.groups.entries()].filter(([, group]) => group.members.has(userId)).map(([id]) => id);
    const keys = new Set([principalKey({ type: 'user', id: userId }), ...groups.map((id) => `group:${id}`)]);
    return [...this.servers.values()]
      .filter((server) => {
        const grants = this.liveGrants(server.name);
        return grants.some((grant) => keys.has(principalKey(grant.principal)) && (grant.bits & PERMISSION.VIEW) !== 0);
      })
      .map(record);
  }

  async sharedServers(): Promise<PrivateServerRecord[]> {
    await tick();
    return [...this.servers.values()].filter((server) => isPublic(this.liveGrants(server.name))).map(record);
  }

  async get(name: string): Promise<ServerDefinition | undefined> {
    await tick();
    const server = this.servers.get(name);
    return server ? this.definition(server) : undefined;
  }

  async list(): Promise<ServerDefinition[]> {
    await tick();
    return [...this.servers.values()].map((server) => this.definition(server));
  }

  async usersOf(principals: readonly Principal[]): Promise<string[]> {
    await tick();
    const users = new Set<string>();
    for (const principal of principals) {
      if (principal.type === 'user') users.add(principal.id);
      else if (principal.type === 'group') this.groups.get(principal.id)?.members.forEach((id) => users.add(id));
    }
    return [...users];
  }

  async principalsOf(name: string): Promise<Principal[]> {
    await tick();
    return [...(this.grants.get(name)?.values() ?? [])].map((grant) => grant.principal);
  }

  async create(input: NewServer): Promise<ServerDefinition> {
    await tick();
    if (this.servers.has(input.name))
      throw new StrataError('CONFLICT', `a server named "${input.name}" already exists`);
    const server: StoredServerDoc = {
      name: input.name,
      config: input.config,
      version: input.version,
      updatedAt: new Date(this.now()).toISOString(),
      author: input.author,
      origin: input.origin === 'user' ? 'user' : undefined,
    };
    this.servers.set(input.name, server);
    const table = this.table(input.name);
    for (const grant of table.values()) grant.bits = 0; // an older incarnation's grants: tombstones
    for (const grant of input.grants) {
      table.set(principalKey(grant.principal), { principal: grant.principal, bits: grant.bits, updatedAt: this.now() });
    }
    return this.definition(server);
  }

  async updateConfig(name: string, config: ServerConfig, version: number): Promise<ServerDefinition> {
    await tick();
    const server = this.require(name);
    server.config = config;
    server.version = version;
    server.updatedAt = new Date(this.now()).toISOString();
    return this.definition(server);
  }

  async setGrants(name: string, grants: readonly Grant[]): Promise<GrantChange> {
    await tick();
    const server = this.require(name);
    const table = this.table(name);
    const desired = new Map(grants.map((grant) => [principalKey(grant.principal), grant] as const));
    const changed: Array<{ principal: Principal; before: number; after: number }> = [];
    for (const [key, stored] of table) {
      if (!desired.has(key) && stored.bits !== 0) {
        changed.push({ principal: stored.principal, before: stored.bits, after: 0 });
        stored.bits = 0;
        stored.updatedAt = this.now();
      }
    }
    for (const [key, grant] of desired) {
      const stored = table.get(key);
      const before = stored?.bits ?? 0;
      if (before === grant.bits) continue;
      changed.push({ principal: grant.principal, before, after: grant.bits });
      table.set(key, { principal: grant.principal, bits: grant.bits, updatedAt: this.now() });
    }
    return { definition: this.definition(server), changed };
  }

  async remove(name: string): Promise<ServerDefinition | undefined> {
    await tick();
    const server = this.servers.get(name);
    if (!server) return undefined;
    const removed = this.definition(server);
    this.servers.delete(name);
    for (const grant of this.table(name).values()) grant.bits = 0;
    return removed;
  }

  async createGroup(id: string, name: string, members: readonly string[]): Promise<void> {
    await tick();
    if (this.groups.has(id)) throw new StrataError('CONFLICT', `a group with id "${id}" already exists`);
    this.groups.set(id, { name, members: new Set(members) });
  }

  async addMembers(groupId: string, userIds: readonly string[]): Promise<string[]> {
    await tick();
    const group = this.groups.get(groupId);
    if (!group) throw new StrataError('NOT_FOUND', `group "${groupId}" does not exist`);
    const added = [...new Set(userIds)].filter((id) => !group.members.has(id));
    added.forEach((id) => group.members.add(id));
    return added;
  }

  async removeMembers(groupId: string, userIds: readonly string[]): Promise<string[]> {
    await tick();
    const group = this.groups.get(groupId);
    if (!group) return [];
    const removed = [...new Set(userIds)].filter((id) => group.members.has(id));
    removed.forEach((id) => group.members.delete(id));
    return removed;
  }

  async removeGroup(groupId: string): Promise<string[] | undefined> {
    await tick();
    const group = this.groups.get(groupId);
    this.groups.delete(groupId);
    return group ? [...group.members] : undefined;
  }

  async beginChange(change: {
    readonly server?: string;
    readonly group?: string;
    readonly userIds?: readonly string[];
  }): Promise<string> {
    await tick();
    const id = randomBytes(12).toString('hex');
    this.pending.set(id, {
      id,
      server: change.server,
      group: change.group,
      userIds: [...(change.userIds ?? [])],
      startedAt: this.now(),
      claimedUntil: 0,
    });
    return id;
  }

  async endChange(id: string): Promise<void> {
    await tick();
    this.pending.delete(id);
  }

  async claimStaleChanges(olderThanMs: number, leaseMs: number): Promise<PendingChange[]> {
    await tick();
    const now = this.now();
    const claimed: PendingChange[] = [];
    for (const change of this.pending.values()) {
      if (change.startedAt > now - olderThanMs || change.claimedUntil > now) continue;
      change.claimedUntil = now + leaseMs;
      const { id, server, group, userIds, startedAt } = change;
      claimed.push({ id, server, group, userIds, startedAt });
    }
    return claimed;
  }

  private liveGrants(name: string): Grant[] {
    return [...(this.grants.get(name)?.values() ?? [])]
      .filter((grant) => grant.bits !== 0)
      .map((grant) => ({ principal: grant.principal, bits: grant.bits }));
  }

  private definition(server: StoredServerDoc): ServerDefinition {
    const { origin, ...rest } = server;
    return { ...rest, ...(origin === 'user' ? { origin } : {}), grants: this.liveGrants(server.name) };
  }

  private table(name: string): Map<string, StoredGrant> {
    let table = this.grants.get(name);
    if (!table) {
      table = new Map();
      this.grants.set(name, table);
    }
    return table;
  }

  private require(name: string): StoredServerDoc {
    const server = this.servers.get(name);
    if (!server) throw new StrataError('NOT_FOUND', `no server named "${name}"`);
    return server;
  }
}

function record(server: StoredServerDoc): PrivateServerRecord {
  return {
    name: server.name,
    config: server.config,
    version: server.version,
    updatedAt: server.updatedAt,
    ...(server.origin === 'user' ? { origin: 'user' as const } : {}),
  };
}

function tick(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
