import { PERMISSION, type Grant, type ServerConfig } from '@strata/config';
import {
  createModels,
  createMongoAccessRepository,
  MongoAccessRepository,
  PUBLIC_PRINCIPAL_ID,
  upsertUser,
  type Models,
} from '@strata/data-schemas';
import mongoose from 'mongoose';
import { openTestDatabase, type TestDatabase } from './support/test-database';

// What the mongo repository does in the database, beyond the contract and the parity test: how it
// stores configs, principals and tombstones, how it recovers from a half-finished remove, its clock,
// its options, the loader's abort signal, and the user helper.

const alice: Grant = { principal: { type: 'user', id: 'alice' }, bits: PERMISSION.VIEW };
const team: Grant = { principal: { type: 'group', id: 'team' }, bits: PERMISSION.VIEW | PERMISSION.EDIT };
const everyone: Grant = { principal: { type: 'public' }, bits: PERMISSION.VIEW };

const config: ServerConfig = {
  type: 'stdio',
  command: 'npx',
  args: [],
  env: { API_KEY: '${NOTES_API_KEY}', USER: '{{LIBRECHAT_USER_ID}}', EMPTY: '' },
  startup: true,
  requiresOAuth: false,
  perSession: false,
  enabled: true,
  tools: { allow: [] },
};

describe('mongo access repository: what it stores and how', () => {
  let database: TestDatabase;
  let models: Models;
  let time: number;
  let repository: MongoAccessRepository;

  beforeEach(async () => {
    database = await openTestDatabase();
    models = createModels(database.connection);
    time = Date.UTC(2025, 5, 1, 12);
    repository = await createMongoAccessRepository(database.connection, { clock: { now: () => time } });
  });

  afterEach(async () => {
    await database.drop();
  });

  it('stores a config exactly as written: placeholders, empty arrays, empty strings', async () => {
    await repository.create({ name: 'notes', config, version: 1, grants: [alice] });
    const raw = await models.McpServer.collection.findOne({ name: 'notes' });
    expect(raw?.['config']).toEqual(config);
    expect((await repository.get('notes'))?.config).toEqual(config);
    expect(await repository.serversForUser('alice')).toEqual([
      { name: 'notes', config, version: 1, updatedAt: new Date(time).toISOString() },
    ]);
  });

  it('takes updatedAt (and createdAt) from its clock; updateConfig moves updatedAt only', async () => {
    const created = await repository.create({ name: 'notes', config, version: 1, author: 'alice', grants: [alice] });
    expect(created.updatedAt).toBe('2025-06-01T12:00:00.000Z');
    time += 60_000;
    const updated = await repository.updateConfig('notes', { ...config, args: ['v2'] }, 2);
    expect(updated.updatedAt).toBe('2025-06-01T12:01:00.000Z');
    const raw = await models.McpServer.collection.findOne({ name: 'notes' });
    expect(raw?.['createdAt']).toEqual(new Date('2025-06-01T12:00:00.000Z'));
    expect(raw?.['author']).toBe('alice');
  });

  it('stores one entry per principal; public under principalId "*"; a revoked grant stays as a bits-0 tombstone', async () => {
    await repository.create({ name: 'notes', config, version: 1, grants: [alice, team, everyone] });
    await repository.setGrants('notes', [team]);
    const entries = await models.AclEntry.find({ resource: 'notes' }, { _id: 0, updatedAt: 0 }).sort({ _id: 1 }).lean();
    expect(entries).toEqual([
      { resource: 'notes', principalType: 'user', principalId: 'alice', bits: 0 },
      { resource: 'notes', principalType: 'group', principalId: 'team', bits: PERMISSION.VIEW | PERMISSION.EDIT },
      { resource: 'notes', principalType: 'public', principalId: PUBLIC_PRINCIPAL_ID, bits: 0 },
    ]);
  });

  it('remove deletes the server document and turns every entry into a tombstone', async () => {
    await repository.create({ name: 'notes', config, version: 1, grants: [alice, team] });
    const removed = await repository.remove('notes');
    expect(removed?.grants).toEqual([alice, team]);
    await expect(models.McpServer.countDocuments({ name: 'notes' })).resolves.toBe(0);
    const bits = await models.AclEntry.find({ resource: 'notes' }).lean();
    expect(bits.map((entry) => entry.bits)).toEqual([0, 0]);
  });

  it('create after a half-finished remove (server gone, entries still live) starts from tombstones', async () => {
    // What a process that died between remove's two writes leaves behind.
    await models.AclEntry.insertMany([
      { resource: 'notes', principalType: 'user', principalId: 'mallory', bits: 7, updatedAt: new Date(0) },
      { resource: 'notes', principalType: 'public', principalId: PUBLIC_PRINCIPAL_ID, bits: 1, updatedAt: new Date(0) },
    ]);
    const created = await repository.create({ name: 'notes', config, version: 2, grants: [alice] });
    expect(created.grants).toEqual([alice]);
    await expect(repository.serversForUser('mallory')).resolves.toEqual([]);
    await expect(repository.sharedServers()).resolves.toEqual([]);
    expect((await repository.principalsOf('notes')).map((principal) => principal.type)).toEqual([
      'user',
      'public',
      'user',
    ]);
  });

  it('CONFLICT errors keep the duplicate-key error as their cause', async () => {
    await repository.create({ name: 'notes', config, version: 1, grants: [] });
    await expect(repository.create({ name: 'notes', config, version: 2, grants: [] })).rejects.toMatchObject({
      code: 'CONFLICT',
      cause: { code: 11000 },
    });
    await repository.createGroup('team', 'Team', []);
    await expect(repository.createGroup('team', 'Team', [])).rejects.toMatchObject({
      code: 'CONFLICT',
      cause: { code: 11000 },
    });
  });

  it('the version sequence lives in the database: a second repository on it continues it', async () => {
    await expect(repository.nextVersion()).resolves.toBe(1);
    await expect(repository.nextVersion()).resolves.toBe(2);
    const other = await createMongoAccessRepository(database.connection);
    await expect(other.nextVersion()).resolves.toBe(3);
    await expect(models.Counter.findById('version').lean()).resolves.toEqual({ _id: 'version', seq: 3 });
  });

  it('serversForUser rejects with the signal’s reason, aborted before or during the call', async () => {
    await repository.create({ name: 'notes', config, version: 1, grants: [alice] });
    const before = new AbortController();
    const early = new Error('lock lost before the load');
    before.abort(early);
    await expect(repository.serversForUser('alice', { signal: before.signal })).rejects.toBe(early);

    const during = new AbortController();
    const late = new Error('lock lost during the load');
    const load = repository.serversForUser('alice', { signal: during.signal });
    during.abort(late);
    await expect(load).rejects.toBe(late);

    await expect(repository.serversForUser('alice', { signal: new AbortController().signal })).resolves.toHaveLength(1);
  });

  it('rejects out-of-range options with INVALID_OPTIONS naming each field', () => {
    let error: unknown;
    try {
      new MongoAccessRepository(models, { maxTimeMs: 0, writeConcurrency: 1.5 });
    } catch (thrown) {
      error = thrown;
    }
    expect(error).toMatchObject({
      code: 'INVALID_OPTIONS',
      issues: [
        { path: 'maxTimeMs', message: 'must be an integer from 1 to 600000' },
        { path: 'writeConcurrency', message: 'must be an integer from 1 to 1000' },
      ],
    });
  });

  it('claimStaleChanges goes by its clock: olderThanMs and the lease are measured on it', async () => {
    const id = await repository.beginChange({ server: 'notes', userIds: ['alice'] });
    await expect(repository.claimStaleChanges(30_000, 10_000)).resolves.toEqual([]);
    time += 30_000;
    const claimed = await repository.claimStaleChanges(30_000, 10_000);
    expect(claimed).toEqual([
      { id, server: 'notes', group: undefined, userIds: ['alice'], startedAt: Date.UTC(2025, 5, 1, 12) },
    ]);
    time += 9_999;
    await expect(repository.claimStaleChanges(30_000, 10_000)).resolves.toEqual([]);
    time += 1;
    await expect(repository.claimStaleChanges(30_000, 10_000)).resolves.toEqual(claimed);
    await expect(models.PendingChange.findById(id).lean()).resolves.toMatchObject({ claimedUntil: time + 10_000 });
  });
});

describe('models', () => {
  let database: TestDatabase;

  beforeEach(async () => {
    database = await openTestDatabase();
  });

  afterEach(async () => {
    await database.drop();
  });

  it('are compiled per connection: the same models again on one connection, none on the global mongoose', () => {
    const models = createModels(database.connection);
    expect(createModels(database.connection)).toEqual(models);
    expect(mongoose.modelNames()).not.toContain('McpServer');
    const other = database.connection.useDb(`${database.connection.name}_other`, { useCache: false });
    expect(createModels(other).McpServer).not.toBe(models.McpServer);
  });

  it('upsertUser creates a user (role user by default), then updates the name and keeps the role unless given', async () => {
    const { User } = createModels(database.connection);
    await User.init();
    await expect(upsertUser(User, { userId: 'alice', name: 'Alice' })).resolves.toMatchObject({
      userId: 'alice',
      name: 'Alice',
      role: 'user',
    });
    await upsertUser(User, { userId: 'alice', name: 'Alice', role: 'admin' });
    await expect(upsertUser(User, { userId: 'alice', name: 'Alice L.' })).resolves.toMatchObject({
      name: 'Alice L.',
      role: 'admin',
    });
    await expect(User.countDocuments({ userId: 'alice' })).resolves.toBe(1);
  });

  it('upsertUser of the same new user from concurrent callers leaves one user', async () => {
    const { User } = createModels(database.connection);
    await User.init();
    await Promise.all(Array.from({ length: 5 }, (_, i) => upsertUser(User, { userId: 'bob', name: `Bob ${i}` })));
    await expect(User.countDocuments({ userId: 'bob' })).resolves.toBe(1);
  });
});
