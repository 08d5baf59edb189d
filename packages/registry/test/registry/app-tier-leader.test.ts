import { describeEachRedis } from '@strata/test-harness';
import { McpRegistry, type NamedServerConfig, type RegistryBackend } from '@strata/registry/internals';
import { backendFor, nextEvent, stdioConfig } from '../helpers';

const DEPLOY_1: NamedServerConfig[] = [
  { name: 'files', config: stdioConfig('npx', ['files']) },
  { name: 'search', config: stdioConfig('npx', ['search', '--v1']) },
  { name: 'browser', config: stdioConfig('npx', ['browser']) },
];
const DEPLOY_2: NamedServerConfig[] = [
  { name: 'files', config: stdioConfig('npx', ['files']) }, // unchanged
  { name: 'search', config: stdioConfig('npx', ['search', '--v2']) }, // changed
  { name: 'calendar', config: stdioConfig('npx', ['calendar']) }, // added; browser removed
];

describeEachRedis('app tier: one leader per deploy', (redis) => {
  const backends: RegistryBackend[] = [];
  const registries: McpRegistry[] = [];

  async function instance(appServers: NamedServerConfig[], options: { appLeaseTtlMs?: number } = {}) {
    const backend = await backendFor(redis.topology, redis.keyPrefix);
    const registry = new McpRegistry({ backend, appServers, appReadyTimeoutMs: 10_000, ...options });
    backends.push(backend);
    registries.push(registry);
    return registry;
  }

  afterEach(async () => {
    registries.splice(0).forEach((registry) => registry.close());
    await Promise.all(backends.splice(0).map((backend) => backend.close()));
  });

  it('5 instances starting at once: the tier is written once and all become ready', async () => {
    const instances = await Promise.all(Array.from({ length: 5 }, () => instance(DEPLOY_1)));
    const results = await Promise.all(instances.map((registry) => registry.start()));
    expect(results.filter((result) => result.wrote)).toHaveLength(1);
    // One write = one tier version: every replace bumps it.
    expect(new Set(results.map((result) => result.tierVersion))).toEqual(new Set([1]));
    await expect(backends[0]?.tierStore('app').meta()).resolves.toMatchObject({ tierVersion: 1 });
    for (const registry of instances) {
      expect([...(await registry.getServers()).keys()].sort()).toEqual(['browser', 'files', 'search']);
    }
  });

  it('a restart of the same deploy writes nothing', async () => {
    await (await instance(DEPLOY_1)).start();
    const again = await (await instance(DEPLOY_1)).start();
    expect(again).toMatchObject({ wrote: false, tierVersion: 1 });
  });

  it('a redeploy with a changed file replaces the tier; running instances see it; unchanged servers keep their version', async () => {
    const old = await instance(DEPLOY_1);
    await old.start();
    const before = await old.getServers();

    const oldBackend = backends[0];
    if (!oldBackend) throw new Error('no backend');
    const replaced = nextEvent(oldBackend, (event) => event.type === 'tier.replaced' && event.tier === 'app');
    const fresh = await instance(DEPLOY_2);
    const result = await fresh.start();
    expect(result).toMatchObject({ wrote: true, tierVersion: 2 });

    const after = await fresh.getServers();
    expect([...after.keys()].sort()).toEqual(['calendar', 'files', 'search']);
    expect(after.get('files')?.version).toBe(before.get('files')?.version);
    expect(after.get('search')?.version).toBeGreaterThan(before.get('search')?.version ?? Infinity);

    // The old instance gets the tier.replaced event: removed servers disappear there too.
    await replaced;
    await expect(old.getServer('browser')).resolves.toBeUndefined();
    await expect(old.getServer('calendar')).resolves.toMatchObject({ tier: 'app' });
  });

  it('a leftover ready marker from a dead deploy does not block start-up', async () => {
    // A previous deploy's index: a tier version and a content hash that match nothing here.
    const index = `{${redis.keyPrefix}:app}:index`;
    await redis.client.hset(index, '#tier', '7', '#hash', 'dead-deploy');
    const result = await (await instance(DEPLOY_1)).start();
    expect(result).toMatchObject({ wrote: true, tierVersion: 8 });
    await expect(backends[0]?.tierStore('app').meta()).resolves.toMatchObject({ tierVersion: 8 });
  });

  it('a lease left by a leader that died is waited out, then this instance writes', async () => {
    const lease = `{${redis.keyPrefix}:app}:leader`;
    await redis.client.set(lease, 'dead-leader-token', 'PX', 300);
    const result = await (await instance(DEPLOY_1)).start();
    expect(result).toMatchObject({ wrote: true });
    await expect(redis.client.get(lease)).resolves.toBeNull(); // released by its owner
  });

  it('fails with APP_TIER_NOT_READY, bounded, when the leader never finishes', async () => {
    const lease = `{${redis.keyPrefix}:app}:leader`;
    await redis.client.set(lease, 'stuck-leader-token', 'PX', 60_000);
    const backend = await backendFor(redis.topology, redis.keyPrefix);
    backends.push(backend);
    const registry = new McpRegistry({ backend, appServers: DEPLOY_1, appReadyTimeoutMs: 300 });
    registries.push(registry);
    await expect(registry.start()).rejects.toMatchObject({ code: 'APP_TIER_NOT_READY' });
    await expect(redis.client.get(lease)).resolves.toBe('stuck-leader-token'); // never deleted another owner's lease
  });
});
