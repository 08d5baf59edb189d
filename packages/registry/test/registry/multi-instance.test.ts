import { describeEachRedis } from '@strata/test-harness';
import { McpRegistry, RedisChangeBus, type RegistryBackend } from '@strata/registry/internals';
import { backendFor, nextEvent, stdioConfig } from '../helpers';

describeEachRedis('registry instances sharing one Redis', (redis) => {
  const backends: RegistryBackend[] = [];
  const registries: McpRegistry[] = [];
  let now = 1_000_000;
  const clock = { now: () => now };

  async function instance(name: string): Promise<{ registry: McpRegistry; backend: RegistryBackend }> {
    const backend = await backendFor(redis.topology, redis.keyPrefix);
    const registry = new McpRegistry({ backend, clock, instanceId: name, nearCacheMaxStalenessMs: 1_000 });
    backends.push(backend);
    registries.push(registry);
    await registry.start();
    return { registry, backend };
  }

  afterEach(async () => {
    registries.splice(0).forEach((registry) => registry.close());
    await Promise.all(backends.splice(0).map((backend) => backend.close()));
  });

  it('an update on A reaches B through the bus, without waiting for the staleness bound', async () => {
    const a = await instance('A');
    const b = await instance('B');
    const added = nextEvent(b.backend, (event) => event.type === 'server.put' && event.name === 'wiki');
    await a.registry.addSharedServer('wiki', stdioConfig('node', ['v1']));
    await added;
    await expect(b.registry.getServer('wiki')).resolves.toMatchObject({ config: { args: ['v1'] } });

    const seen = nextEvent(b.backend, (event) => event.type === 'server.put' && event.name === 'wiki');
    const updated = await a.registry.updateSharedServer('wiki', stdioConfig('node', ['v2']));
    await seen;
    // The clock has not moved: only the bus event can have made B revalidate.
    await expect(b.registry.getServer('wiki')).resolves.toEqual(updated);

    const removed = nextEvent(b.backend, (event) => event.type === 'server.removed' && event.name === 'wiki');
    await a.registry.removeSharedServer('wiki');
    await removed;
    await expect(b.registry.getServer('wiki')).resolves.toBeUndefined();
  });

  it('with B’s subscriber connection killed, B converges once the staleness bound has passed', async () => {
    const a = await instance('A');
    const b = await instance('B');
    const added = nextEvent(b.backend, (event) => event.type === 'server.put' && event.name === 'wiki');
    await a.registry.addSharedServer('wiki', stdioConfig('node', ['v1']));
    await added;
    await expect(b.registry.getServer('wiki')).resolves.toMatchObject({ config: { args: ['v1'] } });

    // Kill B's subscriber: every later message is lost for B.
    const bus = b.backend.bus;
    if (!(bus instanceof RedisChangeBus)) throw new Error('expected a Redis bus');
    bus.subscriberConnection.disconnect();
    const watcher = await instance('watcher'); // proves the message was published
    const published = nextEvent(watcher.backend, (event) => event.type === 'server.put' && event.name === 'wiki');
    await a.registry.updateSharedServer('wiki', stdioConfig('node', ['v2']));
    await published;

    // Within the bound B may still serve v1 (its copy is younger than the bound and no event came)…
    now += 999;
    await expect(b.registry.getServer('wiki')).resolves.toMatchObject({ config: { args: ['v1'] } });
    // …and past the bound it revalidates and serves v2.
    now += 2;
    await expect(b.registry.getServer('wiki')).resolves.toMatchObject({ config: { args: ['v2'] } });
  });
});
