import { PERMISSION, type Grant, type Principal, type ServerConfig } from '@strata/config';
import {
  createModels,
  createMongoAccessRepository,
  type Models,
  type MongoAccessRepository,
} from '@strata/data-schemas';
import { MemoryAccessRepository, type AccessRepository } from '@strata/registry';
import fc from 'fast-check';
import { openTestDatabase, type TestDatabase } from './support/test-database';

// Differential test: random sequences of every AccessRepository call, run on MemoryAccessRepository
// (the reference semantics) and on the mongo repository with the same clock; every result must be
// equal — values, errors (by code) and the ORDER of every list, which the interface leaves open but
// the mongo repository keeps as memory does (creation order).

const USERS = ['u1', 'u2', 'u3', 'u4'] as const;
const GROUPS = ['g1', 'g2'] as const;
const SERVERS = ['notes', 'wiki', 'docs'] as const;
const PRINCIPALS: readonly Principal[] = [
  ...USERS.map((id): Principal => ({ type: 'user', id })),
  ...GROUPS.map((id): Principal => ({ type: 'group', id })),
  { type: 'public' },
];

type Op =
  | { kind: 'nextVersion' }
  | { kind: 'create'; name: string; version: number; grants: Grant[]; author: string | undefined; env: boolean }
  | { kind: 'updateConfig'; name: string; version: number }
  | { kind: 'setGrants'; name: string; grants: Grant[] }
  | { kind: 'remove'; name: string }
  | { kind: 'createGroup'; id: string; members: string[] }
  | { kind: 'addMembers'; id: string; members: string[] }
  | { kind: 'removeMembers'; id: string; members: string[] }
  | { kind: 'removeGroup'; id: string }
  | { kind: 'read'; userId: string; name: string; principals: Principal[] }
  | { kind: 'beginChange'; server: string | undefined; group: string | undefined; userIds: string[] }
  | { kind: 'endChange'; index: number }
  | { kind: 'claim'; olderThanMs: number; leaseMs: number };

const name = fc.constantFrom(...SERVERS);
const groupId = fc.constantFrom(...GROUPS);
const userIds = fc.array(fc.constantFrom(...USERS), { maxLength: 5 });
/** Distinct principals (in random order) with random bits 1-7: EDIT- or SHARE-only bits too. */
const grants = fc
  .shuffledSubarray([...PRINCIPALS])
  .chain((principals) =>
    fc.tuple(...principals.map((principal) => fc.integer({ min: 1, max: 7 }).map((bits) => ({ principal, bits })))),
  );

const op: fc.Arbitrary<Op> = fc.oneof(
  fc.constant({ kind: 'nextVersion' as const }),
  fc.record({
    kind: fc.constant('create' as const),
    name,
    version: fc.nat(1_000),
    grants,
    author: fc.option(fc.constantFrom(...USERS), { nil: undefined }),
    env: fc.boolean(),
  }),
  fc.record({ kind: fc.constant('updateConfig' as const), name, version: fc.nat(1_000) }),
  fc.record({ kind: fc.constant('setGrants' as const), name, grants }),
  fc.record({ kind: fc.constant('remove' as const), name }),
  fc.record({ kind: fc.constant('createGroup' as const), id: groupId, members: userIds }),
  fc.record({ kind: fc.constant('addMembers' as const), id: groupId, members: userIds }),
  fc.record({ kind: fc.constant('removeMembers' as const), id: groupId, members: userIds }),
  fc.record({ kind: fc.constant('removeGroup' as const), id: groupId }),
  fc.record({
    kind: fc.constant('read' as const),
    userId: fc.constantFrom(...USERS),
    name,
    principals: fc.subarray<Principal>([...PRINCIPALS, { type: 'group', id: 'unknown' }]),
  }),
  fc.record({
    kind: fc.constant('beginChange' as const),
    server: fc.option(name, { nil: undefined }),
    group: fc.option(groupId, { nil: undefined }),
    userIds,
  }),
  fc.record({ kind: fc.constant('endChange' as const), index: fc.nat(10) }),
  fc.record({
    kind: fc.constant('claim' as const),
    olderThanMs: fc.constantFrom(0, 1_000, 2_000, 60_000), // 1 000: the step before (the boundary)
    leaseMs: fc.constantFrom(1_000, 5_000),
  }),
);

/** Every run starts from two groups and two servers, so the random ops meet existing state. */
const PRELUDE: readonly Op[] = [
  { kind: 'createGroup', id: 'g1', members: ['u1', 'u2'] },
  { kind: 'createGroup', id: 'g2', members: ['u2', 'u3', 'u2'] },
  {
    kind: 'create',
    name: 'notes',
    version: 1,
    grants: [
      { principal: { type: 'group', id: 'g1' }, bits: 1 },
      { principal: { type: 'user', id: 'u4' }, bits: 7 },
    ],
    author: 'u4',
    env: true,
  },
  {
    kind: 'create',
    name: 'docs',
    version: 2,
    grants: [{ principal: { type: 'public' }, bits: 1 }],
    author: undefined,
    env: false,
  },
];

/** A config that names the server and version; with `env`, an empty object and a placeholder (stored as written). */
function config(server: string, version: number, env = false): ServerConfig {
  return {
    type: 'stdio',
    command: 'node',
    args: [server, String(version)],
    ...(env ? { env: { TOKEN: '${USER_TOKEN}', EMPTY: '' } } : {}),
    startup: true,
    requiresOAuth: false,
    perSession: false,
    enabled: true,
  };
}

/** Runs one op on a repository; resolves with what it answered (errors as `{ error: code }`). */
async function run(repository: AccessRepository, step: Op, changeIds: string[]): Promise<unknown> {
  try {
    switch (step.kind) {
      case 'nextVersion':
        return await repository.nextVersion();
      case 'create':
        return await repository.create({
          name: step.name,
          config: config(step.name, step.version, step.env),
          version: step.version,
          grants: step.grants,
          ...(step.author === undefined ? {} : { author: step.author }),
        });
      case 'updateConfig':
        return await repository.updateConfig(step.name, config(step.name, step.version), step.version);
      case 'setGrants':
        return await repository.setGrants(step.name, step.grants);
      case 'remove':
        return await repository.remove(step.name);
      case 'createGroup':
        return await repository.createGroup(step.id, `Group ${step.id}`, step.members);
      case 'addMembers':
        return await repository.addMembers(step.id, step.members);
      case 'removeMembers':
        return await repository.removeMembers(step.id, step.members);
      case 'removeGroup':
        return await repository.removeGroup(step.id);
      case 'read':
        return {
          get: await repository.get(step.name),
          list: await repository.list(),
          serversForUser: await repository.serversForUser(step.userId),
          sharedServers: await repository.sharedServers(),
          usersOf: await repository.usersOf(step.principals),
          principalsOf: await repository.principalsOf(step.name),
        };
      case 'beginChange': {
        const id = await repository.beginChange({
          ...(step.server === undefined ? {} : { server: step.server }),
          ...(step.group === undefined ? {} : { group: step.group }),
          userIds: step.userIds,
        });
        changeIds.push(id);
        return changeIds.length - 1; // ids differ between implementations: compare by position
      }
      case 'endChange':
        return await repository.endChange(changeIds[step.index] ?? 'no-such-change');
      case 'claim': {
        const claimed = await repository.claimStaleChanges(step.olderThanMs, step.leaseMs);
        return claimed.map(({ id, ...rest }) => ({ position: changeIds.indexOf(id), ...rest }));
      }
    }
  } catch (error) {
    return { error: (error as { code?: unknown }).code ?? String(error) };
  }
}

describe('the mongo repository answers exactly what MemoryAccessRepository answers', () => {
  let database: TestDatabase;
  let models: Models;

  beforeEach(async () => {
    database = await openTestDatabase();
    models = createModels(database.connection);
  });

  afterEach(async () => {
    await database.drop();
  });

  it('for random sequences of every call (results, errors and order of every list)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 10, maxLength: 40, size: 'max' }), async (random) => {
        await Promise.all([
          models.McpServer.deleteMany({}),
          models.AclEntry.deleteMany({}),
          models.Group.deleteMany({}),
          models.Counter.deleteMany({}),
          models.PendingChange.deleteMany({}),
        ]);
        let time = Date.UTC(2025, 0, 1);
        const now = (): number => time;
        const memory = new MemoryAccessRepository(now);
        const mongo: MongoAccessRepository = await createMongoAccessRepository(database.connection, {
          clock: { now },
        });
        const memoryIds: string[] = [];
        const mongoIds: string[] = [];
        for (const [index, step] of [...PRELUDE, ...random].entries()) {
          time += 1_000;
          const expected = await run(memory, step, memoryIds);
          const actual = await run(mongo, step, mongoIds);
          try {
            expect(actual).toEqual(expected);
          } catch (error) {
            const diff = error instanceof Error ? error.message : String(error);
            throw new Error(`step ${index} ${JSON.stringify(step)} (expected: memory, received: mongo)\n${diff}`);
          }
        }
      }),
      { numRuns: 30, seed: 20_251_202, endOnFailure: true },
    );
  });

  it('a grant with EDIT or SHARE but no VIEW bit reaches nobody, and such a public grant shares nothing', async () => {
    const memory = new MemoryAccessRepository();
    const mongo = await createMongoAccessRepository(database.connection);
    for (const repository of [memory, mongo]) {
      await repository.create({
        name: 'notes',
        config: config('notes', 1),
        version: 1,
        grants: [
          { principal: { type: 'user', id: 'u1' }, bits: PERMISSION.EDIT },
          { principal: { type: 'public' }, bits: PERMISSION.SHARE },
          { principal: { type: 'user', id: 'u2' }, bits: PERMISSION.VIEW },
        ],
      });
    }
    for (const repository of [memory, mongo]) {
      await expect(repository.serversForUser('u1')).resolves.toEqual([]);
      await expect(repository.sharedServers()).resolves.toEqual([]);
      expect((await repository.serversForUser('u2')).map((record) => record.name)).toEqual(['notes']);
    }
  });
});
