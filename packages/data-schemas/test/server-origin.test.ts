import type { ServerConfig } from '@strata/config';
import { createMongoAccessRepository, type MongoAccessRepository } from '@strata/data-schemas';
import { PERMISSION } from '@strata/config';
import { openTestDatabase, type TestDatabase } from './support/test-database';

/** `origin: 'user'` (a config a user supplied) is stored with the server and comes back on every read. */

const config: ServerConfig = {
  type: 'streamable-http',
  url: 'https://mcp.example.com/mcp',
  startup: true,
  requiresOAuth: false,
  perSession: false,
  enabled: true,
};
const alice = { principal: { type: 'user' as const, id: 'alice' }, bits: PERMISSION.VIEW };

describe('server origin', () => {
  let database: TestDatabase;
  let repository: MongoAccessRepository;

  beforeEach(async () => {
    database = await openTestDatabase();
    repository = await createMongoAccessRepository(database.connection);
  });

  afterEach(async () => {
    await database.drop();
  });

  it("keeps origin 'user' through create, get, the loader and an update; operators' servers carry none", async () => {
    await repository.create({ name: 'mine', config, version: 1, grants: [alice], author: 'alice', origin: 'user' });
    await repository.create({ name: 'ops', config, version: 2, grants: [alice] });
    expect((await repository.get('mine'))?.origin).toBe('user');
    expect(await repository.get('ops')).not.toHaveProperty('origin');
    await repository.updateConfig('mine', { ...config, url: 'https://other.example.com/mcp' }, 3);
    const loaded = await repository.serversForUser('alice');
    expect(loaded.map((record) => [record.name, record.origin])).toEqual([
      ['mine', 'user'],
      ['ops', undefined],
    ]);
  });
});
