import { performance } from 'node:perf_hooks';
import type { AclEntryDoc, GroupDoc, McpServerDoc, Models } from '../../packages/data-schemas/src/index';
import { PERMISSION } from '../../packages/registry/src/internals';
import { stdioConfig } from './registry-fixture';

/** How many of each: the background every query runs against. */
export interface DatasetSize {
  readonly servers: number;
  readonly entries: number;
  readonly groups: number;
}

/** The size asked for: 10,000 servers, 100,000 ACL entries, 1,000 groups of up to 500 members. */
export const REQUESTED_SIZE: DatasetSize = { servers: 10_000, entries: 100_000, groups: 1_000 };

/** What every scale keeps as is (the shapes the measured queries are about). */
export const SHAPE = {
  maxMembers: 500,
  /** Groups the loader's user is in. */
  userGroups: 20,
  /** The loader's user's direct grants. */
  userDirectGrants: 10,
  /** 500-member groups (disjoint) granted the holders' server... */
  holderGroups: 18,
  /** ...and users granted it directly: 18 × 500 + 1,000 = 10,000 holders. */
  directHolders: 1_000,
  /** The group the timed grant goes to. */
  grantGroupMembers: 500,
  /** Grants the grant's server has before it (kept by every timed setAccess). */
  grantServerGrants: 10,
  /** Servers with a `public` VIEW grant (the shared tier). */
  publicServers: 10,
  /** User ids the background grants and memberships are drawn from. */
  userPool: 50_000,
  /** Background grants: this share to groups, the rest to users... */
  groupGrantShare: 0.2,
  /** ...and this share of them revoked (tombstones, bits 0). */
  tombstoneShare: 0.02,
} as const;

/** Holder groups, the grant group, the user's 20 groups and at least one more. */
const MIN_GROUPS = SHAPE.holderGroups + 1 + SHAPE.userGroups + 1;
const HOLDERS = SHAPE.holderGroups * SHAPE.maxMembers + SHAPE.directHolders;
/** Entries of the two special servers. */
const SPECIAL_ENTRIES = SHAPE.holderGroups + SHAPE.directHolders + SHAPE.grantServerGrants;
/** Background bits of a live grant (VIEW mostly; some with EDIT, SHARE). */
const LIVE_BITS = [PERMISSION.VIEW, PERMISSION.VIEW, PERMISSION.VIEW, PERMISSION.VIEW | PERMISSION.EDIT, 7] as const;

/** Insert batches (documents per `insertMany`). */
const BATCH = { servers: 1_000, entries: 5_000, groups: 100 } as const;

/** {@link REQUESTED_SIZE} times `scale` (1 = as requested), with the floors the shapes need. */
export function scaledSize(scale: number): DatasetSize {
  const servers = Math.max(
    Math.round(REQUESTED_SIZE.servers * scale),
    2 + SHAPE.publicServers + SHAPE.userDirectGrants,
  );
  return {
    servers,
    entries: Math.max(Math.round(REQUESTED_SIZE.entries * scale), SPECIAL_ENTRIES + 2 * (servers - 2)),
    groups: Math.max(Math.round(REQUESTED_SIZE.groups * scale), MIN_GROUPS),
  };
}

type ServerDoc = Omit<McpServerDoc, 'author'>;

/** Generated documents, and the names the measured operations use. */
export interface Dataset {
  readonly size: DatasetSize;
  readonly servers: readonly ServerDoc[];
  readonly entries: readonly AclEntryDoc[];
  readonly groups: readonly GroupDoc[];
  /** The user in {@link SHAPE.userGroups} groups (the loader's query). */
  readonly loaderUser: string;
  /** Servers the loader must return for {@link loaderUser} (computed here, checked against the repository). */
  readonly loaderServers: number;
  /** The server with {@link holders} holders. */
  readonly holdersServer: string;
  readonly holders: number;
  /** Its entries (what `principalsOf` returns). */
  readonly holdersPrincipals: number;
  /** The server the timed group grant goes to, the group and its members. */
  readonly grantServer: string;
  readonly grantGroup: string;
  readonly grantGroupMembers: readonly string[];
  readonly counts: {
    readonly userGrants: number;
    readonly groupGrants: number;
    readonly publicGrants: number;
    readonly tombstones: number;
    readonly memberships: number;
    readonly fullGroups: number;
  };
}

export const userId = (index: number): string => `user-${String(index).padStart(5, '0')}`;
const serverName = (index: number): string => `srv-${String(index).padStart(5, '0')}`;
const groupId = (index: number): string => `grp-${String(index).padStart(4, '0')}`;

/** mulberry32: a small seeded generator, so every run seeds the same data. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/**
 * The dataset at `size`: servers `srv-00000` (10,000 holders: 18 groups of 500 and 1,000 direct
 * users) and `srv-00001` (10 user grants; the timed grant adds group `grp-0018`, 500 members);
 * groups `grp-0000`..`grp-0017` (holders), `grp-0018` (the grant's), then groups of 1 to 500 random
 * members, 20 of which also hold `user-in-20-groups`; the remaining entries spread evenly over the
 * other servers (80 % users, 20 % groups, 2 % tombstones; 10 `public` servers; 10 direct grants to
 * the loader's user). Deterministic.
 */
export function generateDataset(size: DatasetSize): Dataset {
  const next = random(20_240_601);
  const pick = (count: number) => Math.floor(next() * count);
  const now = new Date();
  const loaderUser = 'user-in-20-groups';

  // Groups.
  const groups: GroupDoc[] = [];
  for (let g = 0; g < SHAPE.holderGroups; g += 1) {
    const first = g * SHAPE.maxMembers;
    const members = Array.from({ length: SHAPE.maxMembers }, (_, i) => userId(first + i));
    groups.push({ groupId: groupId(g), name: `Holders ${g}`, members });
  }
  const grantGroup = groupId(SHAPE.holderGroups);
  const grantFirst = HOLDERS; // not holders of srv-00000
  const grantGroupMembers = Array.from({ length: SHAPE.grantGroupMembers }, (_, i) => userId(grantFirst + i));
  groups.push({ groupId: grantGroup, name: 'Grant target', members: grantGroupMembers });
  const firstRandom = groups.length;
  const randomGroups = size.groups - firstRandom;
  const userGroupIndexes = new Set(
    Array.from({ length: SHAPE.userGroups }, (_, k) => firstRandom + Math.floor((k * randomGroups) / SHAPE.userGroups)),
  );
  for (let g = firstRandom; g < size.groups; g += 1) {
    const count = 1 + pick(SHAPE.maxMembers);
    const members = new Set<string>();
    while (members.size < count) members.add(userId(pick(SHAPE.userPool)));
    const list = [...members];
    if (userGroupIndexes.has(g)) {
      if (list.length === SHAPE.maxMembers) list.pop();
      list.push(loaderUser);
    }
    groups.push({ groupId: groupId(g), name: `Group ${g}`, members: list });
  }

  // Servers.
  const servers: ServerDoc[] = Array.from({ length: size.servers }, (_, i) => ({
    name: serverName(i),
    config: stdioConfig(i),
    version: i + 1,
    createdAt: now,
    updatedAt: now,
  }));

  // Entries.
  const entries: AclEntryDoc[] = [];
  const entry = (resource: string, principalType: AclEntryDoc['principalType'], principalId: string, bits: number) =>
    entries.push({ resource, principalType, principalId, bits, updatedAt: now });
  const holdersServer = serverName(0);
  for (let g = 0; g < SHAPE.holderGroups; g += 1) entry(holdersServer, 'group', groupId(g), PERMISSION.VIEW);
  for (let u = 0; u < SHAPE.directHolders; u += 1) {
    entry(holdersServer, 'user', userId(SHAPE.holderGroups * SHAPE.maxMembers + u), PERMISSION.VIEW);
  }
  const grantServer = serverName(1);
  const grantUsers = new Set<string>();
  while (grantUsers.size < SHAPE.grantServerGrants) grantUsers.add(userId(pick(SHAPE.userPool)));
  grantUsers.forEach((id) => entry(grantServer, 'user', id, PERMISSION.VIEW));

  const others = size.servers - 2;
  const rest = size.entries - entries.length;
  const forced = new Map<number, Array<[AclEntryDoc['principalType'], string]>>();
  const force = (index: number, principal: [AclEntryDoc['principalType'], string]) =>
    forced.set(index, [...(forced.get(index) ?? []), principal]);
  for (let k = 0; k < SHAPE.publicServers; k += 1) force(2 + k, ['public', '*']);
  for (let k = 0; k < SHAPE.userDirectGrants; k += 1) {
    force(2 + Math.floor(((k + 0.5) * others) / SHAPE.userDirectGrants), ['user', loaderUser]);
  }
  const counts = { userGrants: 0, groupGrants: 0, publicGrants: 0, tombstones: 0 };
  for (let s = 2; s < size.servers; s += 1) {
    const quota = Math.floor(rest / others) + (s - 2 < rest % others ? 1 : 0);
    const resource = serverName(s);
    const seen = new Set<string>();
    for (const [type, id] of forced.get(s) ?? []) {
      seen.add(`${type}:${id}`);
      entry(resource, type, id, PERMISSION.VIEW);
    }
    while (seen.size < quota) {
      const type = next() < SHAPE.groupGrantShare ? 'group' : 'user';
      const id = type === 'group' ? groupId(firstRandom + pick(randomGroups)) : userId(pick(SHAPE.userPool));
      if (seen.has(`${type}:${id}`)) continue;
      seen.add(`${type}:${id}`);
      entry(resource, type, id, next() < SHAPE.tombstoneShare ? 0 : (LIVE_BITS[pick(LIVE_BITS.length)] ?? 1));
    }
  }
  for (const { principalType, bits } of entries) {
    if (bits === 0) counts.tombstones += 1;
    else if (principalType === 'user') counts.userGrants += 1;
    else if (principalType === 'group') counts.groupGrants += 1;
    else counts.publicGrants += 1;
  }

  // What serversForUser(loaderUser) must return: a live VIEW grant to the user or one of their groups.
  const userGroups = new Set(groups.filter((group) => group.members.includes(loaderUser)).map((g) => g.groupId));
  const visible = new Set(
    entries
      .filter((e) => (e.bits & PERMISSION.VIEW) !== 0)
      .filter(
        (e) =>
          (e.principalType === 'user' && e.principalId === loaderUser) ||
          (e.principalType === 'group' && userGroups.has(e.principalId)),
      )
      .map((e) => e.resource),
  );
  return {
    size,
    servers,
    entries,
    groups,
    loaderUser,
    loaderServers: visible.size,
    holdersServer,
    holders: HOLDERS,
    holdersPrincipals: SHAPE.holderGroups + SHAPE.directHolders,
    grantServer,
    grantGroup,
    grantGroupMembers,
    counts: {
      ...counts,
      memberships: groups.reduce((sum, group) => sum + group.members.length, 0),
      fullGroups: groups.filter((group) => group.members.length === SHAPE.maxMembers).length,
    },
  };
}

/** Time and rate of one collection's bulk insert. */
export interface SeedTiming {
  readonly collection: string;
  readonly documents: number;
  readonly ms: number;
}

/**
 * Bulk inserts straight through the models (`insertMany`, unordered, `lean`: no per-document
 * validation), batch by batch; not through the repository, whose writes go one document at a time.
 * Also sets the version sequence past the servers' versions.
 */
export async function seedDataset(models: Models, dataset: Dataset): Promise<SeedTiming[]> {
  const timings: SeedTiming[] = [];
  const insert = async <T>(
    collection: string,
    docs: readonly T[],
    batch: number,
    write: (docs: T[]) => Promise<unknown>,
  ) => {
    const startedAt = performance.now();
    for (let from = 0; from < docs.length; from += batch) await write(docs.slice(from, from + batch));
    timings.push({ collection, documents: docs.length, ms: performance.now() - startedAt });
  };
  const options = { ordered: false, lean: true } as const;
  await insert('mcpservers', dataset.servers, BATCH.servers, (docs) => models.McpServer.insertMany(docs, options));
  await insert('aclentries', dataset.entries, BATCH.entries, (docs) => models.AclEntry.insertMany(docs, options));
  await insert('groups', dataset.groups, BATCH.groups, (docs) => models.Group.insertMany(docs, options));
  await models.Counter.insertMany([{ _id: 'version', seq: dataset.servers.length }], options);
  return timings;
}
