import { createUserVariablesRepository, ValueCipher, type UserVariablesRepository } from '@strata/data-schemas';
import {
  ConnectionManager,
  createMemoryBackend,
  ToolsCache,
  type RegistryBackend,
  type StoredServer,
} from '@strata/registry/internals';
import { randomBytes } from 'node:crypto';
import { startHttpFixture, type HttpFixture } from '../../registry/test/fixtures/mcp/http-server';
import type { Identity } from '../../registry/test/fixtures/mcp/fixture-server';
import { openTestDatabase, type TestDatabase } from './support/test-database';

// End to end: a user's variables and API key, stored encrypted in the database, reach a real MCP
// server as that user's headers — and only as that user's.
describe('user variables → per-user connection', () => {
  let database: TestDatabase;
  let variables: UserVariablesRepository;
  let fixture: HttpFixture;
  let backend: RegistryBackend;
  let tools: ToolsCache;
  let connections: ConnectionManager;

  beforeEach(async () => {
    database = await openTestDatabase();
    variables = await createUserVariablesRepository(database.connection, {
      cipher: new ValueCipher({ version: 1, key: randomBytes(32) }),
    });
    fixture = await startHttpFixture();
    backend = createMemoryBackend();
    tools = new ToolsCache({ keyv: backend.toolsKeyv, bus: backend.bus, instanceId: 'me', clock: { now: Date.now } });
    const crm: StoredServer = {
      name: 'crm',
      tier: 'shared',
      version: 1,
      updatedAt: new Date(0).toISOString(),
      config: {
        type: 'streamable-http',
        url: fixture.url,
        headers: { 'X-User': '{{LIBRECHAT_USER_ID}}', 'X-Region': '{{REGION}}' },
        customUserVars: { REGION: { title: 'Region' } },
        apiKey: { source: 'user', authorization_type: 'bearer' },
        startup: true,
        requiresOAuth: false,
        perSession: false,
        enabled: true,
      },
    };
    connections = new ConnectionManager({
      registry: { getServer: (name) => Promise.resolve(name === 'crm' ? crm : undefined) },
      bus: backend.bus,
      toolsCache: tools,
      env: {},
    });
  });

  afterEach(async () => {
    await connections.close();
    tools.close();
    await backend.close();
    await fixture.close();
    await database.drop();
  });

  it('each user connects with their own decrypted values', async () => {
    await variables.set('alice', 'crm', { vars: { REGION: 'eu-west' }, apiKey: 'alice-key' });
    await variables.set('bob', 'crm', { vars: { REGION: 'us-east' }, apiKey: 'bob-key' });
    const seen: Record<string, string | undefined>[] = [];
    for (const userId of ['alice', 'bob']) {
      const stored = await variables.get(userId, 'crm');
      const connection = await connections.get({ kind: 'user', userId }, 'crm', { user: { id: userId }, ...stored });
      const { headers } = (await connection.callTool('identity')).structuredContent as Identity;
      seen.push({ user: headers['x-user'], region: headers['x-region'], authorization: headers['authorization'] });
    }
    expect(seen).toEqual([
      { user: 'alice', region: 'eu-west', authorization: 'Bearer alice-key' },
      { user: 'bob', region: 'us-east', authorization: 'Bearer bob-key' },
    ]);
  });
});
