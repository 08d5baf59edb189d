import {
  checkIntegerRanges,
  PERMISSION,
  principalKey,
  StrataError,
  type Grant,
  type Principal,
  type ServerConfig,
} from '@strata/config';
import type { AccessRepository, Clock, PrivateServerRecord } from '@strata/registry';
import { Types, type Connection, type InsertManyOptions } from 'mongoose';
import { PUBLIC_PRINCIPAL_ID, type AclEntryDoc } from '../models/acl-entry';
import { VERSION_COUNTER_ID } from '../models/counter';
import { createModels, ensureIndexes, type Models } from '../models/create-models';
import type { GroupDoc } from '../models/group';
import type { McpServerDoc } from '../models/mcp-server';
import type { PendingChangeDoc } from '../models/pending-change';
import type {
  ChangedGrant,
  ChangeIntent,
  GrantChange,
  NewServer,
  PendingChange,
  ServerDefinition,
} from './access-types';
import { isDuplicateKeyError, upsertWithRetry } from './duplicate-key';
import { mapConcurrently } from './map-concurrently';
import { fromPrincipalFields, toPrincipalFields } from './principal-fields';

/** Options of {@link MongoAccessRepository}. */
export interface MongoAccessRepositoryOptions {
  /** Time source of `updatedAt`, `startedAt` and claims. @defaultValue the system clock */
  readonly clock?: Clock;
  /**
   * Server-side deadline (`maxTimeMS`) of every query and write this repository sends. The
   * connection's `socketTimeoutMS` remains the network backstop. @defaultValue 5000
   */
  readonly maxTimeMs?: number;
  /** Most per-principal writes of one `setGrants` in flight at once. @defaultValue 16 */
  readonly writeConcurrency?: number;
}

const DEFAULTS = { maxTimeMs: 5_000, writeConcurrency: 16 } as const;

type StoredServer = McpServerDoc & { _id: Types.ObjectId };
type StoredEntry = AclEntryDoc & { _id: Types.ObjectId };
type EntryBits = Pick<AclEntryDoc, 'resource' | 'bits'>;
type EntryPrincipal = Pick<AclEntryDoc, 'principalType' | 'principalId' | 'bits'> & { _id: Types.ObjectId };

/**
 * Compiles the models on `connection`, waits until every collection and index exists (a unique
 * index must exist before `create` can rely on it), and returns the repository.
 */
export async function createMongoAccessRepository(
  connection: Connection,
  options: MongoAccessRepositoryOptions = {},
): Promise<MongoAccessRepository> {
  const models = createModels(connection);
  await ensureIndexes(models);
  return new MongoAccessRepository(models, options);
}

/**
 * The {@link AccessRepository} on MongoDB through mongoose, with `MemoryAccessRepository`'s
 * semantics. Every write is one atomic operation per document (no transactions: FerretDB has none),
 * and what a write reports comes from the document the database returned for that very operation.
 * Build it with {@link createMongoAccessRepository}, which waits for the indexes.
 */
export class MongoAccessRepository implements AccessRepository {
  private readonly clock: Clock;
  private readonly maxTimeMs: number;
  private readonly writeConcurrency: number;

  /** `models` must have their indexes ({@link ensureIndexes}); prefer {@link createMongoAccessRepository}. */
  constructor(
    private readonly models: Models,
    options: MongoAccessRepositoryOptions = {},
  ) {
    checkIntegerRanges(options, [
      ['maxTimeMs', 1, 600_000],
      ['writeConcurrency', 1, 1_000],
    ]);
    this.clock = options.clock ?? { now: () => Date.now() };
    this.maxTimeMs = options.maxTimeMs ?? DEFAULTS.maxTimeMs;
    this.writeConcurrency = options.writeConcurrency ?? DEFAULTS.writeConcurrency;
  }

  async nextVersion(): Promise<number> {
    const counter = await upsertWithRetry(() =>
      this.models.Counter.findOneAndUpdate(
        { _id: VERSION_COUNTER_ID },
        { $inc: { seq: 1 } },
        { upsert: true, returnDocument: 'after', setDefaultsOnInsert: false },
      )
        .maxTimeMS(this.maxTimeMs)
        .lean<{ seq: number }>()
        .exec(),
    );
    if (!counter) throw new Error('the version counter upsert returned no document');
    return counter.seq;
  }

  async serversForUser(
    userId: string,
    context: { readonly signal?: AbortSignal } = {},
  ): Promise<PrivateServerRecord[]> {
    const { signal } = context;
    const abortable = signal ? { signal } : {};
    signal?.throwIfAborted();
    const groups = await this.models.Group.find({ members: userId }, { groupId: 1, _id: 0 })
      .setOptions(abortable)
      .maxTimeMS(this.maxTimeMs)
      .lean<Array<Pick<GroupDoc, 'groupId'>>>()
      .exec();
    signal?.throwIfAborted();
    const or: Array<Record<string, unknown>> = [{ principalType: 'user', principalId: userId }];
    if (groups.length > 0)
      or.push({ principalType: 'group', principalId: { $in: groups.map((group) => group.groupId) } });
    const entries = await this.models.AclEntry.find({ $or: or, bits: { $gt: 0 } }, { resource: 1, bits: 1, _id: 0 })
      .setOptions(abortable)
      .maxTimeMS(this.maxTimeMs)
      .lean<EntryBits[]>()
      .exec();
    // Public servers included: a grant by name keeps a server listed while it moves between tiers.
    const names = unique(entries.filter(canView).map((entry) => entry.resource));
    if (names.length === 0) return [];
    signal?.throwIfAborted();
    return (await this.findServers(names, abortable)).map(toRecord);
  }

  async sharedServers(): Promise<PrivateServerRecord[]> {
    const names = unique(await this.publicResources());
    if (names.length === 0) return [];
    return (await this.findServers(names, {})).map(toRecord);
  }

  async get(name: string): Promise<ServerDefinition | undefined> {
    const server = await this.findServer(name);
    return server ? this.definition(server) : undefined;
  }

  async list(): Promise<ServerDefinition[]> {
    const servers = await this.models.McpServer.find({})
      .sort({ _id: 1 })
      .maxTimeMS(this.maxTimeMs)
      .lean<StoredServer[]>()
      .exec();
    const grants = await this.liveGrants(servers.map((server) => server.name));
    return servers.map((server) => toDefinition(server, grants.get(server.name) ?? []));
  }

  async usersOf(principals: readonly Principal[]): Promise<string[]> {
    const groupIds = unique(principals.flatMap((principal) => (principal.type === 'group' ? [principal.id] : [])));
    const groups =
      groupIds.length === 0
        ? []
        : await this.models.Group.find({ groupId: { $in: groupIds } }, { groupId: 1, members: 1, _id: 0 })
            .maxTimeMS(this.maxTimeMs)
            .lean<Array<Pick<GroupDoc, 'groupId' | 'members'>>>()
            .exec();
    const membersOf = new Map(groups.map((group) => [group.groupId, group.members] as const));
    const users = new Set<string>();
    for (const principal of principals) {
      if (principal.type === 'user') users.add(principal.id);
      else if (principal.type === 'group') membersOf.get(principal.id)?.forEach((id) => users.add(id));
    }
    return [...users];
  }

  async principalsOf(name: string): Promise<Principal[]> {
    const entries = await this.entriesOf(name, {});
    return entries.map(fromPrincipalFields);
  }

  async create(input: NewServer): Promise<ServerDefinition> {
    const now = new Date(this.clock.now());
    const created: McpServerDoc = {
      name: input.name,
      config: input.config,
      version: input.version,
      ...(input.author === undefined ? {} : { author: input.author }),
      ...(input.origin === 'user' ? { origin: 'user' as const } : {}),
      createdAt: now,
      updatedAt: now,
    };
    try {
      await this.models.McpServer.insertMany([created], { timestamps: false, ...this.insertOptions() });
    } catch (error) {
      if (isDuplicateKeyError(error)) {
        throw new StrataError('CONFLICT', `a server named "${input.name}" already exists`, { cause: error });
      }
      throw error;
    }
    // An older incarnation's grants stay (or become) tombstones; then the new grants, in order.
    await this.models.AclEntry.updateMany(
      { resource: input.name, bits: { $ne: 0 } },
      { $set: { bits: 0, updatedAt: now } },
    )
      .maxTimeMS(this.maxTimeMs)
      .exec();
    await mapConcurrently(this.withNewIds(input.grants), this.writeConcurrency, ({ grant, id }) =>
      this.writeBits(input.name, grant, id, now),
    );
    return this.definition(created);
  }

  async updateConfig(name: string, config: ServerConfig, version: number): Promise<ServerDefinition> {
    const now = new Date(this.clock.now());
    const server = await this.models.McpServer.findOneAndUpdate(
      { name },
      { $set: { config, version, updatedAt: now } },
      { returnDocument: 'after', timestamps: false },
    )
      .maxTimeMS(this.maxTimeMs)
      .lean<StoredServer>()
      .exec();
    if (!server) throw notFound(name);
    return this.definition(server);
  }

  async setGrants(name: string, grants: readonly Grant[]): Promise<GrantChange> {
    const server = await this.findServer(name);
    if (!server) throw notFound(name);
    const now = new Date(this.clock.now());
    const desired = new Set(grants.map((grant) => principalKey(grant.principal)));
    // Principals to revoke: live now and not desired. A grant added after this read by a concurrent
    // writer is not revoked here (no transaction spans the read and the writes).
    const revoked = (await this.entriesOf(name, { bits: { $gt: 0 } }))
      .map(fromPrincipalFields)
      .filter((principal) => !desired.has(principalKey(principal)));
    const revocations = await mapConcurrently(revoked, this.writeConcurrency, (principal) =>
      this.revoke(name, principal, now),
    );
    const writes = await mapConcurrently(this.withNewIds(grants), this.writeConcurrency, async ({ grant, id }) => {
      const before = await this.writeBits(name, grant, id, now);
      return before === grant.bits ? undefined : { principal: grant.principal, before, after: grant.bits };
    });
    const changed = [...revocations, ...writes].filter((change): change is ChangedGrant => change !== undefined);
    return { definition: await this.definition((await this.findServer(name)) ?? server), changed };
  }

  async remove(name: string): Promise<ServerDefinition | undefined> {
    const now = new Date(this.clock.now());
    const server = await this.models.McpServer.findOneAndDelete({ name })
      .maxTimeMS(this.maxTimeMs)
      .lean<StoredServer>()
      .exec();
    if (!server) return undefined;
    const removed = await this.definition(server);
    await this.models.AclEntry.updateMany({ resource: name, bits: { $ne: 0 } }, { $set: { bits: 0, updatedAt: now } })
      .maxTimeMS(this.maxTimeMs)
      .exec();
    return removed;
  }

  async createGroup(id: string, name: string, members: readonly string[]): Promise<void> {
    try {
      await this.models.Group.insertMany([{ groupId: id, name, members: unique(members) }], this.insertOptions());
    } catch (error) {
      if (isDuplicateKeyError(error)) {
        throw new StrataError('CONFLICT', `a group with id "${id}" already exists`, { cause: error });
      }
      throw error;
    }
  }

  async addMembers(groupId: string, userIds: readonly string[]): Promise<string[]> {
    const ids = unique(userIds);
    const before =
      ids.length === 0
        ? await this.models.Group.findOne({ groupId }, { members: 1 })
            .maxTimeMS(this.maxTimeMs)
            .lean<Pick<GroupDoc, 'members'>>()
            .exec()
        : await this.models.Group.findOneAndUpdate(
            { groupId },
            { $addToSet: { members: { $each: ids } } },
            { returnDocument: 'before' },
          )
            .maxTimeMS(this.maxTimeMs)
            .lean<Pick<GroupDoc, 'members'>>()
            .exec();
    if (!before) throw new StrataError('NOT_FOUND', `group "${groupId}" does not exist`);
    const members = new Set(before.members);
    return ids.filter((id) => !members.has(id));
  }

  async removeMembers(groupId: string, userIds: readonly string[]): Promise<string[]> {
    const ids = unique(userIds);
    if (ids.length === 0) return [];
    const before = await this.models.Group.findOneAndUpdate(
      { groupId },
      { $pullAll: { members: ids } },
      { returnDocument: 'before' },
    )
      .maxTimeMS(this.maxTimeMs)
      .lean<Pick<GroupDoc, 'members'>>()
      .exec();
    if (!before) return [];
    const members = new Set(before.members);
    return ids.filter((id) => members.has(id));
  }

  async removeGroup(groupId: string): Promise<string[] | undefined> {
    const group = await this.models.Group.findOneAndDelete({ groupId })
      .maxTimeMS(this.maxTimeMs)
      .lean<Pick<GroupDoc, 'members'>>()
      .exec();
    return group ? [...group.members] : undefined;
  }

  async beginChange(change: ChangeIntent): Promise<string> {
    // ObjectId hex: unique and, within a process, increasing (claimStaleChanges answers in this order).
    const id = new Types.ObjectId().toHexString();
    await this.models.PendingChange.insertMany(
      [
        {
          _id: id,
          ...(change.server === undefined ? {} : { server: change.server }),
          ...(change.group === undefined ? {} : { group: change.group }),
          userIds: [...(change.userIds ?? [])],
          startedAt: this.clock.now(),
          claimedUntil: 0,
        },
      ],
      this.insertOptions(),
    );
    return id;
  }

  async endChange(id: string): Promise<void> {
    await this.models.PendingChange.deleteOne({ _id: id }).maxTimeMS(this.maxTimeMs).exec();
  }

  async claimStaleChanges(olderThanMs: number, leaseMs: number): Promise<PendingChange[]> {
    const now = this.clock.now();
    const claimable = { startedAt: { $lte: now - olderThanMs }, claimedUntil: { $lte: now } };
    const candidates = await this.models.PendingChange.find(claimable, { _id: 1 })
      .sort({ _id: 1 })
      .maxTimeMS(this.maxTimeMs)
      .lean<Array<Pick<PendingChangeDoc, '_id'>>>()
      .exec();
    // Each claim is conditional on the change still being claimable: of two concurrent claimers,
    // exactly one gets a given change.
    const claimed = await mapConcurrently(candidates, this.writeConcurrency, (candidate) =>
      this.models.PendingChange.findOneAndUpdate(
        { _id: candidate._id, ...claimable },
        { $set: { claimedUntil: now + leaseMs } },
        { returnDocument: 'after' },
      )
        .maxTimeMS(this.maxTimeMs)
        .lean<PendingChangeDoc>()
        .exec(),
    );
    return claimed.flatMap((change) =>
      change
        ? [
            {
              id: change._id,
              server: change.server ?? undefined,
              group: change.group ?? undefined,
              userIds: [...change.userIds],
              startedAt: change.startedAt,
            },
          ]
        : [],
    );
  }

  /**
   * Inserts go through `insertMany([doc])`: mongoose's `insertOne` (`save`) forwards no `maxTimeMS`
   * to the driver, `insertMany` does (and still validates and casts).
   */
  private insertOptions(): InsertManyOptions & { maxTimeMS: number } {
    return { ordered: true, maxTimeMS: this.maxTimeMs };
  }

  /** Sets one principal's bits (upsert); resolves with its bits before (0 when there was no entry). */
  private async writeBits(resource: string, grant: Grant, newId: Types.ObjectId, now: Date): Promise<number> {
    const before = await upsertWithRetry(() =>
      this.models.AclEntry.findOneAndUpdate(
        { resource, ...toPrincipalFields(grant.principal) },
        { $set: { bits: grant.bits, updatedAt: now }, $setOnInsert: { _id: newId } },
        { upsert: true, returnDocument: 'before', runValidators: true },
      )
        .maxTimeMS(this.maxTimeMs)
        .lean<Pick<AclEntryDoc, 'bits'>>()
        .exec(),
    );
    return before?.bits ?? 0;
  }

  /** Makes a live grant a tombstone; resolves with the change, or undefined when it was not live. */
  private async revoke(resource: string, principal: Principal, now: Date): Promise<ChangedGrant | undefined> {
    const before = await this.models.AclEntry.findOneAndUpdate(
      { resource, ...toPrincipalFields(principal), bits: { $gt: 0 } },
      { $set: { bits: 0, updatedAt: now } },
      { returnDocument: 'before' },
    )
      .maxTimeMS(this.maxTimeMs)
      .lean<Pick<AclEntryDoc, 'bits'>>()
      .exec();
    return before ? { principal, before: before.bits, after: 0 } : undefined;
  }

  /**
   * Client-made ids for entries an upsert may insert, made in the grants' order: entries read back
   * sorted by `_id` are in the order their principals were first granted (as in memory).
   */
  private withNewIds(grants: readonly Grant[]): Array<{ grant: Grant; id: Types.ObjectId }> {
    return grants.map((grant) => ({ grant, id: new Types.ObjectId() }));
  }

  private findServer(name: string): Promise<StoredServer | null> {
    return this.models.McpServer.findOne({ name }).maxTimeMS(this.maxTimeMs).lean<StoredServer>().exec();
  }

  /** Servers by name, in creation order. */
  private findServers(names: readonly string[], options: { signal?: AbortSignal }): Promise<StoredServer[]> {
    return this.models.McpServer.find({ name: { $in: names } })
      .setOptions(options)
      .sort({ _id: 1 })
      .maxTimeMS(this.maxTimeMs)
      .lean<StoredServer[]>()
      .exec();
  }

  /** A server's entries (tombstones too, unless `filter` says otherwise), oldest first. */
  private entriesOf(resource: string, filter: Record<string, unknown>): Promise<EntryPrincipal[]> {
    return this.models.AclEntry.find({ resource, ...filter }, { principalType: 1, principalId: 1, bits: 1 })
      .sort({ _id: 1 })
      .maxTimeMS(this.maxTimeMs)
      .lean<EntryPrincipal[]>()
      .exec();
  }

  /** Names of the servers with a live `public` VIEW entry. */
  private async publicResources(): Promise<string[]> {
    const entries = await this.models.AclEntry.find(
      { principalType: 'public', principalId: PUBLIC_PRINCIPAL_ID, bits: { $gt: 0 } },
      { resource: 1, bits: 1, _id: 0 },
    )
      .maxTimeMS(this.maxTimeMs)
      .lean<EntryBits[]>()
      .exec();
    return entries.filter(canView).map((entry) => entry.resource);
  }

  /** Live grants of the named servers, each server's oldest first. */
  private async liveGrants(names: readonly string[]): Promise<Map<string, Grant[]>> {
    const grants = new Map<string, Grant[]>();
    if (names.length === 0) return grants;
    const entries = await this.models.AclEntry.find({ resource: { $in: names }, bits: { $gt: 0 } })
      .sort({ _id: 1 })
      .maxTimeMS(this.maxTimeMs)
      .lean<StoredEntry[]>()
      .exec();
    for (const entry of entries) {
      const list = grants.get(entry.resource) ?? [];
      list.push({ principal: fromPrincipalFields(entry), bits: entry.bits });
      grants.set(entry.resource, list);
    }
    return grants;
  }

  private async definition(server: McpServerDoc): Promise<ServerDefinition> {
    const grants = await this.liveGrants([server.name]);
    return toDefinition(server, grants.get(server.name) ?? []);
  }
}

function toDefinition(server: McpServerDoc, grants: Grant[]): ServerDefinition {
  return {
    name: server.name,
    config: server.config,
    version: server.version,
    updatedAt: server.updatedAt.toISOString(),
    author: server.author ?? undefined,
    ...(server.origin === 'user' ? { origin: 'user' as const } : {}),
    grants,
  };
}

function toRecord(server: McpServerDoc): PrivateServerRecord {
  return {
    name: server.name,
    config: server.config,
    version: server.version,
    updatedAt: server.updatedAt.toISOString(),
    ...(server.origin === 'user' ? { origin: 'user' as const } : {}),
  };
}

function canView(entry: Pick<AclEntryDoc, 'bits'>): boolean {
  return (entry.bits & PERMISSION.VIEW) !== 0;
}

function notFound(name: string): StrataError {
  return new StrataError('NOT_FOUND', `no server named "${name}"`);
}

/** The values once each, first occurrence first. */
function unique(values: readonly string[]): string[] {
  return [...new Set(values)];
}
