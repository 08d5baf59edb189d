import type { Grant, ServerConfig } from '@strata/config';
import {
  createModels,
  createMongoAccessRepository,
  ensureIndexes,
  type Models,
  type MongoAccessRepository,
} from '@strata/data-schemas';
import mongoose, { type Connection } from 'mongoose';
import { openTestDatabase, SERVER_IS_FERRETDB, type TestDatabase } from './support/test-database';

const CONFIG: ServerConfig = {
  type: 'stdio',
  command: 'node',
  startup: true,
  requiresOAuth: false,
  perSession: false,
  enabled: true,
};

/** Every index the schemas declare, collection by collection (name, key, unique). */
const EXPECTED_INDEXES: Record<string, Array<{ name: string; key: Record<string, number>; unique?: boolean }>> = {
  mcpservers: [
    { name: '_id_', key: { _id: 1 } },
    { name: 'name_unique', key: { name: 1 }, unique: true },
  ],
  aclentries: [
    { name: '_id_', key: { _id: 1 } },
    { name: 'principal', key: { principalType: 1, principalId: 1 } },
    { name: 'resource_principal_unique', key: { resource: 1, principalType: 1, principalId: 1 }, unique: true },
  ],
  groups: [
    { name: '_id_', key: { _id: 1 } },
    { name: 'groupId_unique', key: { groupId: 1 }, unique: true },
    { name: 'members', key: { members: 1 } },
  ],
  users: [
    { name: '_id_', key: { _id: 1 } },
    { name: 'userId_unique', key: { userId: 1 }, unique: true },
  ],
  counters: [{ name: '_id_', key: { _id: 1 } }],
  pendingchanges: [
    { name: '_id_', key: { _id: 1 } },
    { name: 'startedAt', key: { startedAt: 1 } },
  ],
  uservariables: [
    { name: '_id_', key: { _id: 1 } },
    { name: 'userId_server_unique', key: { userId: 1, server: 1 }, unique: true },
  ],
};

/** A collection's indexes as { name, key, unique? }, by name (the driver's `listIndexes`). */
async function indexesOf(connection: Connection, collection: string): Promise<unknown[]> {
  const indexes = await connection.collection(collection).indexes();
  return indexes
    .map((index) => ({
      name: String(index.name),
      key: index.key,
      ...(index.unique === true ? { unique: true } : {}),
    }))
    .sort((a, b) => a.name.localeCompare(b.name));
}

/** What serversForUser('alice') sends in `seed()`'s database. */
const LOADER_FINDS = [
  { collection: 'groups', filter: { members: 'alice' } },
  {
    collection: 'aclentries',
    filter: {
      $or: [
        { principalType: 'user', principalId: 'alice' },
        { principalType: 'group', principalId: { $in: ['team'] } },
      ],
      bits: { $gt: 0 },
    },
  },
  { collection: 'mcpservers', filter: { name: { $in: ['notes'] } } },
];

/** What sharedServers() sends in `seed()`'s database. */
const SHARED_FINDS = [
  { collection: 'aclentries', filter: { principalType: 'public', principalId: '*', bits: { $gt: 0 } } },
  { collection: 'mcpservers', filter: { name: { $in: ['docs'] } } },
];

interface CapturedFind {
  readonly collection: string;
  readonly filter: Record<string, unknown>;
}

/** The IXSCAN index names and every stage name of an explain's winning plan (MongoDB's format). */
function planOf(explain: unknown): { indexes: string[]; stages: string[] } {
  const indexes: string[] = [];
  const stages: string[] = [];
  const walk = (node: unknown): void => {
    if (Array.isArray(node)) return node.forEach(walk);
    if (typeof node !== 'object' || node === null) return;
    const record = node as Record<string, unknown>;
    if (typeof record['stage'] === 'string') stages.push(record['stage']);
    if (record['stage'] === 'IXSCAN' && typeof record['indexName'] === 'string') indexes.push(record['indexName']);
    Object.values(record).forEach(walk);
  };
  walk((explain as { queryPlanner?: { winningPlan?: unknown } }).queryPlanner?.winningPlan);
  return { indexes, stages };
}

describe('indexes', () => {
  let database: TestDatabase;

  beforeEach(async () => {
    database = await openTestDatabase();
  });

  afterEach(async () => {
    await database.drop();
  });

  it('createMongoAccessRepository resolves once every declared index exists (listIndexes)', async () => {
    await createMongoAccessRepository(database.connection);
    for (const [collection, expected] of Object.entries(EXPECTED_INDEXES)) {
      await expect(indexesOf(database.connection, collection)).resolves.toEqual(expected);
    }
  });

  it('the table above is every index the schemas declare, and nothing else', () => {
    const models = createModels(database.connection);
    const declared = Object.values(models).map((model: Models[keyof Models]) => ({
      collection: model.collection.collectionName,
      indexes: model.schema
        .indexes()
        .map(([, options]) => String(options['name']))
        .sort(),
    }));
    expect(declared).toEqual(
      Object.entries(EXPECTED_INDEXES).map(([collection, indexes]) => ({
        collection,
        indexes: indexes.map((index) => index.name).filter((name) => name !== '_id_'),
      })),
    );
  });

  it('ensureIndexes builds them on a connection with autoIndex and autoCreate off', async () => {
    const uri = process.env['MONGO_URI'] ?? '';
    const manual = await mongoose
      .createConnection(uri, { dbName: database.connection.name, autoIndex: false, autoCreate: false })
      .asPromise();
    try {
      const models = createModels(manual);
      await expect(manual.db?.listCollections().toArray()).resolves.toEqual([]);
      await ensureIndexes(models);
      for (const [collection, expected] of Object.entries(EXPECTED_INDEXES)) {
        await expect(indexesOf(manual, collection)).resolves.toEqual(expected);
      }
    } finally {
      await manual.close();
    }
  });

  it('the unique indexes reject a second server name, (server, principal) entry, group id and user id with E11000', async () => {
    const models = createModels(database.connection);
    await ensureIndexes(models);
    const entry = {
      resource: 'notes',
      principalType: 'public' as const,
      principalId: '*',
      bits: 1,
      updatedAt: new Date(),
    };
    const attempts: Array<() => Promise<unknown>> = [
      () => models.McpServer.insertOne({ name: 'notes', config: CONFIG, version: 1 }),
      () => models.AclEntry.insertOne(entry),
      () => models.Group.insertOne({ groupId: 'team', name: 'Team', members: [] }),
      () => models.User.insertOne({ userId: 'alice', name: 'Alice', role: 'user' }),
    ];
    for (const attempt of attempts) {
      await attempt();
      await expect(attempt()).rejects.toMatchObject({ code: 11000 });
    }
  });

  /** A group `team` with alice, a server `notes` granted to it, a public server `docs`. */
  async function seed(): Promise<MongoAccessRepository> {
    const repository = await createMongoAccessRepository(database.connection);
    await repository.createGroup('team', 'Team', ['alice']);
    const team: Grant = { principal: { type: 'group', id: 'team' }, bits: 1 };
    const everyone: Grant = { principal: { type: 'public' }, bits: 1 };
    await repository.create({ name: 'notes', config: CONFIG, version: 1, grants: [team] });
    await repository.create({ name: 'docs', config: CONFIG, version: 2, grants: [everyone] });
    return repository;
  }

  it('the loader (serversForUser) sends three finds and sharedServers two, each on an indexed field', async () => {
    const repository = await seed();
    await expect(capturedFinds(database.connection, () => repository.serversForUser('alice'))).resolves.toEqual(
      LOADER_FINDS,
    );
    await expect(capturedFinds(database.connection, () => repository.sharedServers())).resolves.toEqual(SHARED_FINDS);
  });

  // FerretDB 1.24 (SQLite) answers explain, but pushes no filter on these fields down to SQLite
  // ("filterPushdown": false, plan "SCAN <table>"): its secondary indexes serve uniqueness only.
  // This one runs against a real mongod (MONGO_URI); see the package README.
  (SERVER_IS_FERRETDB ? it.skip : it)(
    'on MongoDB, each of those finds is an index scan (explain: IXSCAN on the expected index, no COLLSCAN)',
    async () => {
      const repository = await seed();
      const finds = [
        ...(await capturedFinds(database.connection, () => repository.serversForUser('alice'))),
        ...(await capturedFinds(database.connection, () => repository.sharedServers())),
      ];
      const plans = [];
      for (const find of finds) {
        const explain = await database.connection.collection(find.collection).find(find.filter).explain();
        expect(explain).not.toHaveProperty('ferretdbVersion');
        plans.push(planOf(explain));
      }
      expect(plans.map((plan) => plan.indexes)).toEqual([
        ['members'],
        ['principal', 'principal'], // one IXSCAN per $or branch
        ['name_unique'],
        ['principal'],
        ['name_unique'],
      ]);
      for (const plan of plans) expect(plan.stages).not.toContain('COLLSCAN');
    },
  );
});

/** The finds `action` sends on `connection` (mongoose's per-connection debug hook), in order. */
async function capturedFinds(connection: Connection, action: () => Promise<unknown>): Promise<CapturedFind[]> {
  const finds: CapturedFind[] = [];
  connection.set('debug', (collection: string, method: string, filter: Record<string, unknown>) => {
    if (method === 'find') finds.push({ collection, filter });
  });
  try {
    await action();
  } finally {
    connection.set('debug', false);
  }
  return finds;
}
