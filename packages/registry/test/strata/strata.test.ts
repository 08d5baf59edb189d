import { describeEachBackend, describeEachRedis, nextPublicEvent } from '@strata/test-harness';
import {
  createMemoryBackend,
  createStrata,
  MemoryAccessRepository,
  type PublicEvent,
  type Strata,
  type StrataOptions,
} from '@strata/registry/internals';
import { connectionFor, stdioConfig } from '../helpers';
import { stdioFixtureParams } from '../fixtures/mcp/stdio-command';

const NEAR_CACHE_MS = 200;
const SECRET = 'sk-live-2b7e151628aed2a6';
const APP = [{ name: 'files', config: stdioConfig('npx', ['files']) }];

describeEachBackend('createStrata()', (ctx) => {
  const started: Strata[] = [];
  let repository: MemoryAccessRepository;

  beforeEach(() => {
    repository = new MemoryAccessRepository();
  });
  afterEach(async () => {
    await Promise.all(started.splice(0).map((strata) => strata.close()));
  });

  async function instance(options: Partial<StrataOptions> = {}): Promise<Strata> {
    const strata = await createStrata({
      backend: await ctx.newBackend(),
      repository,
      appServers: APP,
      registry: { nearCacheMaxStalenessMs: NEAR_CACHE_MS },
      privateTier: { nearCacheTtlMs: NEAR_CACHE_MS },
      ...options,
    });
    started.push(strata);
    await strata.start();
    return strata;
  }

  const names = async (strata: Strata, userId: string): Promise<string[]> =>
    [...(await strata.getServers({ userId })).keys()].sort();

  it('wires every component with one instance id', async () => {
    const strata = await instance({ instanceId: 'node-a' });
    expect(strata.instanceId).toBe('node-a');
    expect(strata.registry.instanceId).toBe('node-a');
    expect(strata.privateTier.instanceId).toBe('node-a');
    expect(strata.connections.instanceId).toBe('node-a');
    const loaded = nextPublicEvent(strata, (event) => event.type === 'user.loaded');
    await strata.login('u1');
    expect(await loaded).toEqual({ type: 'user.loaded', userId: 'u1', instance: 'node-a' });
  });

  it('admin on one instance, reads on another: one surface for both database tiers', async () => {
    const a = await instance();
    const b = await instance();
    const config = { type: 'streamable-http', url: 'https://notes.example/mcp' };
    const created = await a.admin.createServer('notes', config, { userIds: ['u1'] });
    expect(created).toMatchObject({ name: 'notes', tier: 'private', access: { userIds: ['u1'] } });
    expect((await b.login('u1')).has('notes')).toBe(true);
    expect(await names(b, 'u2')).toEqual(['files']);

    const sharedOnB = nextPublicEvent(b, (event) => event.type === 'server.changed' && event.name === 'notes');
    expect(await a.admin.setAccess('notes', { everyone: true })).toMatchObject({ tier: 'shared' });
    await sharedOnB;
    expect(await names(b, 'u2')).toEqual(['files', 'notes']);
    expect((await b.getServer('notes'))?.tier).toBe('shared');

    const leftSharedOnB = nextPublicEvent(
      b,
      (event) => event.type === 'server.changed' && event.name === 'notes' && event.change === 'removed',
    );
    const demoted = await a.admin.setAccess('notes', { userIds: ['u2'] });
    await leftSharedOnB;
    expect(demoted).toMatchObject({ tier: 'private', access: { userIds: ['u2'] } });
    expect(await names(b, 'u1')).toEqual(['files']);
    expect(await names(b, 'u2')).toEqual(['files', 'notes']);

    const updated = await a.admin.updateServer('notes', { type: 'streamable-http', url: 'https://notes2.example/mcp' });
    expect(updated.version).toBeGreaterThan(demoted.version);
    // B drops its copy of u2's servers when A's invalidation reaches it over the bus.
    const revokedOnB = nextPublicEvent(b, (event) => event.type === 'access.changed' && event.userIds.includes('u2'));
    expect(await a.admin.deleteServer('notes')).toBe(true);
    await revokedOnB;
    expect(await a.admin.getServer('notes')).toBeUndefined();
    expect(await names(b, 'u2')).toEqual(['files']);
    expect(await a.admin.deleteServer('notes')).toBe(false);

    // Another instance sees a shared write once the change reaches it over the bus.
    const wikiOnB = nextPublicEvent(b, (event) => event.type === 'server.changed' && event.name === 'wiki');
    await a.admin.createServer('wiki', config, { everyone: true });
    await wikiOnB;
    expect(await names(b, 'u9')).toEqual(['files', 'wiki']);
    await expect(a.admin.createServer('files', config, { everyone: true })).rejects.toMatchObject({
      code: 'NAME_RESERVED',
    });
    await expect(a.admin.updateServer('nothing', config)).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('public events name what changed and never carry a config, env or header', async () => {
    const a = await instance({ instanceId: 'node-a' });
    const b = await instance({ instanceId: 'node-b' });
    const seen: PublicEvent[] = [];
    b.subscribe((event) => seen.push(event));
    const config = {
      type: 'streamable-http',
      url: `https://api.example/mcp?key=${SECRET}`,
      headers: { Authorization: `Bearer ${SECRET}` },
    };
    const shared = nextPublicEvent(b, (event) => event.type === 'server.changed' && event.name === 'api');
    await a.admin.createServer('api', config, { everyone: true });
    expect(await shared).toEqual({
      type: 'server.changed',
      tier: 'shared',
      name: 'api',
      version: expect.any(Number) as number,
      change: 'put',
      instance: 'node-a',
    });
    // One access.changed per batch of users (per hash slot on a cluster): collect them all.
    const granted = new Set<string>();
    const bothGranted = nextPublicEvent(b, (event) => {
      if (event.type === 'access.changed' && event.instance === 'node-a') event.userIds.forEach((u) => granted.add(u));
      return granted.size === 2;
    });
    await a.admin.createServer('mine', config, { userIds: ['u1', 'u2'] });
    await bothGranted;
    expect([...granted].sort()).toEqual(['u1', 'u2']);
    await b.login('u1');
    expect(JSON.stringify(seen)).not.toContain(SECRET);
    expect(JSON.stringify(seen)).not.toContain('api.example');
  });

  it('stats() counts loads, near-cache hits, bus events and connections', async () => {
    const strata = await instance();
    const loaded = nextPublicEvent(strata, (event) => event.type === 'user.loaded'); // arrives over the bus
    await strata.login('u1');
    await loaded;
    await strata.login('u1');
    await strata.getServer('files');
    const stats = strata.stats();
    expect(stats.privateTier.loaderCalls).toBe(1);
    expect(stats.privateTier.nearHits).toBeGreaterThanOrEqual(1);
    expect(stats.nearCache.app.hits + stats.nearCache.shared.hits).toBeGreaterThanOrEqual(1);
    expect(stats.bus.received).toBeGreaterThanOrEqual(1);
    expect(stats.connections).toEqual({ connecting: 0, connected: 0, reconnecting: 0, error: 0, closed: 0 });
  });

  it('keeps at most privateTier.nearCacheMaxUsers users in process and counts the evictions in stats()', async () => {
    const strata = await instance({ privateTier: { nearCacheTtlMs: 10_000, nearCacheMaxUsers: 3 } });
    for (let i = 0; i < 10; i += 1) await strata.login(`u${i}`);
    expect(strata.stats().privateTier.nearEvictions).toBe(7);
    // The three most recent users are served from the process; an evicted one goes to the store.
    const { nearHits, nearMisses } = strata.stats().privateTier;
    await strata.getServers({ userId: 'u9' });
    expect(strata.stats().privateTier.nearHits).toBe(nearHits + 1);
    await strata.getServers({ userId: 'u0' });
    expect(strata.stats().privateTier.nearMisses).toBe(nearMisses + 1);
    expect(strata.stats().privateTier.nearEvictions).toBe(8); // u0 came back and pushed the oldest out
  });

  it('reports connection states as public events and closes connections on close()', async () => {
    const strata = await instance({ instanceId: 'node-c' });
    const fixture = stdioFixtureParams();
    await strata.admin.createServer('echo', { type: 'stdio', ...fixture }, { everyone: true });
    const states: string[] = [];
    strata.subscribe((event) => {
      if (event.type === 'connection.state' && event.name === 'echo') states.push(event.state);
    });
    const connection = await strata.connections.get({ kind: 'user', userId: 'u1' }, 'echo');
    expect(strata.stats().connections.connected).toBe(1);
    const pid = connection.pid;
    expect(pid).toBeDefined();
    await strata.close();
    expect(states).toEqual(['connecting', 'connected', 'closed']);
    expect(() => process.kill(pid ?? 0, 0)).toThrow(); // the stdio child has exited
    await expect(strata.start()).rejects.toMatchObject({ code: 'CLOSED' });
    await strata.close(); // idempotent
  });
});

describe('createStrata() options', () => {
  it('refuses a settle time within the near-cache bounds before connecting anything', async () => {
    const error = await createStrata({
      redis: { url: 'redis://127.0.0.1:1' }, // never reached: the options are refused first
      registry: { nearCacheMaxStalenessMs: 1_000 },
      admin: { moveSettleMs: 1_000 },
    }).catch((caught: unknown) => caught);
    expect(error).toMatchObject({ code: 'INVALID_OPTIONS', issues: [{ path: 'admin.moveSettleMs' }] });
  });

  it('refuses redis and backend together', async () => {
    const backend = createMemoryBackend();
    const error = await createStrata({ redis: { url: 'redis://127.0.0.1:1' }, backend }).catch(
      (caught: unknown) => caught,
    );
    expect(error).toMatchObject({ code: 'INVALID_OPTIONS', issues: [{ path: 'backend' }] });
    await backend.close();
  });

  it('start() is bounded: TIMEOUT when the app tier never becomes ready', async () => {
    const backend = createMemoryBackend();
    const held = await backend.appLease.acquire(60_000); // another "leader" that never writes
    expect(held.acquired).toBe(true);
    const strata = await createStrata({ backend, appServers: APP, startTimeoutMs: 300 });
    await expect(strata.start()).rejects.toMatchObject({ code: 'TIMEOUT' });
    await strata.close();
    await backend.close();
  });
});

describeEachRedis('createStrata({ redis })', (redis) => {
  it('builds its own Redis backend and closes it', async () => {
    const strata = await createStrata({
      redis: connectionFor(redis.topology),
      keyPrefix: redis.keyPrefix,
      appServers: APP,
    });
    await strata.start();
    expect(strata.backend.kind).toBe('redis');
    expect([...(await strata.login('u1')).keys()]).toEqual(['files']);
    await strata.close();
    expect(strata.backend.redis?.status).toBe('end');
  });

  it('a Redis that cannot be reached fails creation with REDIS_UNAVAILABLE', async () => {
    const error = await createStrata({ redis: { url: 'redis://127.0.0.1:1' }, redisTimeoutMs: 500 }).catch(
      (caught: unknown) => caught,
    );
    expect(error).toMatchObject({ code: 'REDIS_UNAVAILABLE' });
  });
});
