import { describeEachBackend, type RedisTopology } from '@strata/test-harness';
import { McpRegistry, ValidationError, type RegistryBackend, type StoredServer } from '@strata/registry/internals';
import { backendFor, stdioConfig } from '../helpers';

const APP = [
  { name: 'files', config: stdioConfig('npx', ['files']) },
  { name: 'search', config: { ...stdioConfig('npx', ['search']), enabled: false } },
];

function registrySuite(topology: () => RedisTopology | undefined, keyPrefix: () => string): void {
  let backend: RegistryBackend;
  let registry: McpRegistry;
  const privateServers = new Map<string, StoredServer[]>();

  beforeEach(async () => {
    backend = await backendFor(topology(), keyPrefix());
    privateServers.clear();
    registry = new McpRegistry({
      backend,
      appServers: APP,
      privateTier: { getServers: (userId) => Promise.resolve(privateServers.get(userId) ?? []) },
    });
    await registry.start();
  });

  afterEach(async () => {
    registry.close();
    await backend.close();
  });

  it('serves the app tier after start, without disabled servers unless asked', async () => {
    await expect(registry.getServer('files')).resolves.toMatchObject({ name: 'files', tier: 'app' });
    await expect(registry.getServer('search')).resolves.toBeUndefined();
    await expect(registry.getServer('search', { includeDisabled: true })).resolves.toMatchObject({ tier: 'app' });
    expect([...(await registry.getServers()).keys()]).toEqual(['files']);
  });

  it('adds, updates and removes shared servers with increasing versions', async () => {
    const added = await registry.addSharedServer('wiki', stdioConfig('node', ['wiki.js']));
    expect(added).toMatchObject({ name: 'wiki', tier: 'shared' });
    await expect(registry.getServer('wiki')).resolves.toEqual(added);
    const updated = await registry.updateSharedServer('wiki', stdioConfig('node', ['wiki2.js']));
    expect(updated.version).toBeGreaterThan(added.version);
    await expect(registry.getServer('wiki')).resolves.toEqual(updated);
    await expect(registry.removeSharedServer('wiki')).resolves.toBe(true);
    await expect(registry.getServer('wiki')).resolves.toBeUndefined();
    await expect(registry.removeSharedServer('wiki')).resolves.toBe(false);
  });

  it('refuses a shared server under an app-tier name (NAME_RESERVED) and writes nothing', async () => {
    await expect(registry.addSharedServer('files', stdioConfig())).rejects.toMatchObject({ code: 'NAME_RESERVED' });
    await expect(registry.addSharedServer('search', stdioConfig())).rejects.toMatchObject({ code: 'NAME_RESERVED' });
    await expect(backend.tierStore('shared').snapshot()).resolves.toEqual({ tierVersion: 0, epoch: '', servers: [] });
  });

  it('answers CONFLICT for a duplicate add and NOT_FOUND for an update of nothing', async () => {
    await registry.addSharedServer('wiki', stdioConfig());
    await expect(registry.addSharedServer('wiki', stdioConfig())).rejects.toMatchObject({ code: 'CONFLICT' });
    await expect(registry.updateSharedServer('nope', stdioConfig())).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('rejects a bad config with a typed error naming the field, and writes nothing', async () => {
    const error = await registry
      .addSharedServer('wiki', { type: 'streamable-http', url: 'ftp://x' })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationError);
    expect(error).toMatchObject({ code: 'INVALID_CONFIG', issues: [expect.objectContaining({ path: 'config.url' })] });
    await expect(backend.tierStore('shared').snapshot()).resolves.toEqual({ tierVersion: 0, epoch: '', servers: [] });
  });

  it.each(['*', '{x}', 'a:b', '__proto__', 'constructor', 'x'.repeat(1024), 'a b', 'ünï'])(
    'rejects the hostile server name %j with INVALID_NAME and writes nothing',
    async (name) => {
      await expect(registry.addSharedServer(name, stdioConfig())).rejects.toMatchObject({ code: 'INVALID_NAME' });
      await expect(registry.getServer(name)).rejects.toMatchObject({ code: 'INVALID_NAME' });
      await expect(backend.tierStore('shared').snapshot()).resolves.toEqual({ tierVersion: 0, epoch: '', servers: [] });
    },
  );

  it('rejects a bad user id with INVALID_USER_ID', async () => {
    await expect(registry.getServers({ userId: 'has space' })).rejects.toMatchObject({ code: 'INVALID_USER_ID' });
    await expect(registry.getServer('files', { userId: '' })).rejects.toMatchObject({ code: 'INVALID_USER_ID' });
  });

  it('merges app > shared > private, each name once', async () => {
    await registry.addSharedServer('wiki', stdioConfig('node', ['shared']));
    privateServers.set('u1', [
      { name: 'wiki', tier: 'private', config: stdioConfig('node', ['private']), version: 1, updatedAt: '' },
      { name: 'notes', tier: 'private', config: stdioConfig('node', ['notes']), version: 2, updatedAt: '' },
    ]);
    const servers = await registry.getServers({ userId: 'u1' });
    expect([...servers.entries()].map(([name, server]) => [name, server.tier])).toEqual([
      ['files', 'app'],
      ['wiki', 'shared'],
      ['notes', 'private'],
    ]);
    await expect(registry.getServer('notes', { userId: 'u1' })).resolves.toMatchObject({ tier: 'private' });
    await expect(registry.getServer('notes', { userId: 'u2' })).resolves.toBeUndefined();
    await expect(registry.getServer('notes')).resolves.toBeUndefined();
  });
}

describeEachBackend('registry', (ctx) =>
  registrySuite(
    () => ctx.topology,
    () => ctx.keyPrefix,
  ),
);
