import { describeEachBackend, type RedisTopology } from '@strata/test-harness';
import {
  createMemoryBackend,
  createStrata,
  MemoryAccessRepository,
  type AccessAdmin,
  type McpRegistry,
  type PrivateTier,
  type RegistryBackend,
  type Strata,
} from '@strata/registry/internals';
import { backendFor, stdioConfig } from '../helpers';

const NEAR_CACHE_MS = 200;
const SETTLE_MS = 300;

interface Instance {
  strata: Strata;
  backend: RegistryBackend;
  registry: McpRegistry;
  privateTier: PrivateTier;
  admin: AccessAdmin;
}

function adminSuite(topology: () => RedisTopology | undefined, keyPrefix: () => string): void {
  const instances: Instance[] = [];
  let repository: MemoryAccessRepository;
  let memory: RegistryBackend | undefined;

  beforeEach(() => {
    repository = new MemoryAccessRepository();
    memory = undefined;
  });

  afterEach(async () => {
    for (const { strata } of instances) await strata.close();
    const backends = new Set(instances.splice(0).map((instance) => instance.backend));
    await Promise.all([...backends].map((backend) => backend.close()));
  });

  async function instance(): Promise<Instance> {
    const backend = topology()
      ? await backendFor(topology(), keyPrefix())
      : (memory ??= createMemoryBackend({ keyPrefix: keyPrefix() }));
    const strata = await createStrata({
      backend,
      repository,
      appServers: [{ name: 'files', config: stdioConfig('npx', ['files']) }],
      registry: { nearCacheMaxStalenessMs: NEAR_CACHE_MS },
      privateTier: { nearCacheTtlMs: NEAR_CACHE_MS },
      admin: { moveSettleMs: SETTLE_MS },
    });
    await strata.start();
    const { registry, privateTier } = strata;
    const admin = strata.admin.access;
    const created = { strata, backend, registry, privateTier, admin };
    instances.push(created);
    return created;
  }

  const names = async (registry: McpRegistry, userId: string): Promise<string[]> =>
    [...(await registry.getServers({ userId })).keys()].sort();

  it('adds a private server for one user; others do not see it', async () => {
    const a = await instance();
    await a.admin.addPrivateServer('notes', stdioConfig('node', ['notes']), ['u1']);
    expect(await names(a.registry, 'u1')).toEqual(['files', 'notes']);
    expect(await names(a.registry, 'u2')).toEqual(['files']);
    await expect(a.admin.addPrivateServer('files', stdioConfig(), ['u1'])).rejects.toMatchObject({
      code: 'NAME_RESERVED',
    });
    await expect(a.admin.addPrivateServer('notes', stdioConfig(), ['u1'])).rejects.toMatchObject({ code: 'CONFLICT' });
    await expect(a.admin.addPrivateServer('x', stdioConfig(), ['ok', 'bad id'])).rejects.toMatchObject({
      code: 'INVALID_USER_ID',
      issues: [{ path: 'userIds.1' }],
    });
    await expect(repository.get('x')).resolves.toBeUndefined();
  });

  it('setAccess grants new users (even loaded ones with zero servers) and revokes the rest, on every instance', async () => {
    const a = await instance();
    const b = await instance();
    await a.admin.addPrivateServer('notes', stdioConfig(), ['u1', 'u2']);
    expect(await names(b.registry, 'u3')).toEqual(['files']); // u3 loaded with zero private servers
    expect(await names(b.registry, 'u1')).toContain('notes');
    await a.admin.setAccess('notes', ['u2', 'u3']);
    // On the acting instance: at once.
    expect(await names(a.registry, 'u1')).toEqual(['files']);
    expect(await names(a.registry, 'u3')).toEqual(['files', 'notes']);
    // On B: no later than the near-cache bound (the bus usually makes it immediate).
    await new Promise((resolve) => setTimeout(resolve, NEAR_CACHE_MS + 50));
    expect(await names(b.registry, 'u1')).toEqual(['files']);
    expect(await names(b.registry, 'u3')).toEqual(['files', 'notes']);
    await a.admin.revokeAll('notes');
    expect(await names(a.registry, 'u2')).toEqual(['files']);
  });

  it('an update reaches every user holding the server', async () => {
    const a = await instance();
    await a.admin.addPrivateServer('notes', stdioConfig('node', ['v1']), ['u1', 'u2']);
    const before = (await a.registry.getServers({ userId: 'u1' })).get('notes');
    await a.admin.updateServer('notes', stdioConfig('node', ['v2']));
    for (const user of ['u1', 'u2']) {
      const after = (await a.registry.getServers({ userId: user })).get('notes');
      expect(after?.config).toMatchObject({ args: ['v2'] });
      expect(after?.version).toBeGreaterThan(before?.version ?? Infinity);
    }
  });

  it('promote and demote under concurrent readers: a user allowed before and after sees the server exactly once in every read', async () => {
    const a = await instance();
    const b = await instance();
    await a.admin.addPrivateServer('notes', stdioConfig(), ['u1']);
    let stop = false;
    const reads = { count: 0, missing: 0, wrongTier: 0, shared: 0, private: 0 };
    const reader = async (registry: McpRegistry): Promise<void> => {
      while (!stop) {
        const servers = await registry.getServers({ userId: 'u1' });
        reads.count += 1;
        const notes = servers.get('notes');
        if (!notes) reads.missing += 1;
        else if (notes.tier === 'private') reads.private += 1;
        else if (notes.tier === 'shared') reads.shared += 1;
        else reads.wrongTier += 1;
        await new Promise((resolve) => setImmediate(resolve));
      }
    };
    const readers = [reader(a.registry), reader(b.registry), reader(a.registry), reader(b.registry)];
    await a.admin.promote('notes');
    expect((await a.registry.getServers({ userId: 'u2' })).get('notes')?.tier).toBe('shared'); // visible to all
    await a.admin.demote('notes', ['u1']);
    // A user who lost access stops seeing it once the call returns on the acting instance.
    expect((await a.registry.getServers({ userId: 'u2' })).has('notes')).toBe(false);
    stop = true;
    await Promise.all(readers);
    // The readers ran through the moves (they saw the server in both tiers), however fast the host is.
    expect(reads.shared).toBeGreaterThan(0);
    expect(reads.private).toBeGreaterThan(0);
    expect(reads).toMatchObject({ missing: 0, wrongTier: 0 });
    expect((await a.registry.getServers({ userId: 'u1' })).get('notes')?.tier).toBe('private');
  });
}

describeEachBackend('access admin', (ctx) =>
  adminSuite(
    () => ctx.topology,
    () => ctx.keyPrefix,
  ),
);
