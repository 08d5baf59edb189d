import { describeEachRedis } from '@strata/test-harness';
import {
  createStrata,
  type ConnectionManager,
  type McpRegistry,
  type RegistryBackend,
  type ServerConfig,
  type Strata,
  type ToolsCache,
} from '@strata/registry/internals';
import { connectionFor, nextEvent } from '../helpers';
import { startHttpFixture, type HttpFixture } from '../fixtures/mcp/http-server';
import { stdioFixtureParams } from '../fixtures/mcp/stdio-command';

interface Instance {
  strata: Strata;
  backend: RegistryBackend;
  registry: McpRegistry;
  tools: ToolsCache;
  connections: ConnectionManager;
}

describeEachRedis('connections across instances', (redis) => {
  const instances: Instance[] = [];
  let fixture: HttpFixture;

  beforeEach(async () => {
    fixture = await startHttpFixture();
  });

  afterEach(async () => {
    for (const { strata } of instances.splice(0)) await strata.close();
    await fixture.close();
  });

  async function instance(name: string): Promise<Instance> {
    const strata = await createStrata({
      redis: connectionFor(redis.topology),
      keyPrefix: redis.keyPrefix,
      instanceId: name,
      appServers: [{ name: 'local', config: { type: 'stdio', ...stdioFixtureParams() } as ServerConfig }],
      connections: { connectTimeoutMs: 5_000 },
    });
    await strata.start();
    const { backend, registry, tools, connections } = strata;
    const created = { strata, backend, registry, tools, connections };
    instances.push(created);
    return created;
  }

  it('a config updated on A renews B’s live connection without a request; the old session is closed on the server', async () => {
    const a = await instance('A');
    const b = await instance('B');
    const v1 = await a.registry.addSharedServer('web', { type: 'streamable-http', url: fixture.url });
    const seenByB = nextEvent(b.backend, (event) => event.type === 'server.put' && event.name === 'web');
    await seenByB;
    const before = await b.connections.get({ kind: 'app' }, 'web');
    expect(before.version).toBe(v1.version);
    expect(fixture.sessions.opened).toBe(1);

    const v2 = await a.registry.updateSharedServer('web', {
      type: 'streamable-http',
      url: fixture.url,
      headers: { 'x-rev': '2' },
    });
    // No request on B: its manager reacts to the bus event by itself, within 2 s.
    await fixture.waitFor((sessions) => sessions.opened === 2 && sessions.terminated === 1, 2_000);
    // The renewal already under way is what a get now returns: no third session.
    const after = await b.connections.get({ kind: 'app' }, 'web');
    expect(after.version).toBe(v2.version);
    expect(fixture.sessions.opened).toBe(2);
    expect(b.connections.status().find((entry) => entry.name === 'web')).toMatchObject({
      status: { state: 'connected' },
    });
  });

  it('tools/list_changed on a server connected from A refreshes B’s tools cache', async () => {
    const a = await instance('A');
    const b = await instance('B');
    // A's first listing (on connect) is announced too: let it arrive before watching for the next.
    const firstListing = nextEvent(b.backend, (event) => event.type === 'tools.changed' && event.name === 'local');
    const connection = await a.connections.get({ kind: 'app' }, 'local');
    await firstListing;
    const before = await b.tools.get('local'); // B reads (and keeps a copy of) A's listing
    expect(before?.tools?.map((tool) => tool.name)).not.toContain('fresh_tool');

    const refreshed = nextEvent(b.backend, (event) => event.type === 'tools.changed' && event.name === 'local');
    await connection.client.callTool({ name: 'fixture_add_tool', arguments: { name: 'fresh_tool' } });
    await refreshed; // A got notifications/tools/list_changed, listed again, stored and announced it
    const after = await b.tools.get('local');
    expect(after?.tools?.map((tool) => tool.name)).toContain('fresh_tool');
  });
});
