// Redis is a cache that can be lost: after a FLUSHALL of (or a restart without persistence of) the
// Redis this file owns, every instance serves the same servers as before — the app tier rebuilt
// from the config file, the shared tier from the database, private servers reloaded lazily — with
// versions never lower than before, and no read in between ever sees a tier emptied.
import Redis from 'ioredis';
import { RedisServerProcess } from '@strata/test-harness';
import {
  createStrata,
  MemoryAccessRepository,
  type PublicEvent,
  type StoredServer,
  type Strata,
} from '@strata/registry/internals';
import { stdioConfig } from '../helpers';
import { stdioFixtureParams } from '../fixtures/mcp/stdio-command';

const ECHO = {
  type: 'stdio' as const,
  ...stdioFixtureParams(),
  startup: true,
  requiresOAuth: false,
  perSession: false,
  enabled: true,
};
const APP = [
  { name: 'files', config: stdioConfig('npx', ['files']) },
  { name: 'app-echo', config: ECHO },
];
const NEAR_CACHE_MS = 200;

function tierRebuilt(strata: Strata, tier: 'app' | 'shared'): Promise<PublicEvent> {
  return new Promise((resolve) => {
    const off = strata.subscribe((event) => {
      if (event.type === 'tier.replaced' && event.tier === tier) {
        off();
        resolve(event);
      }
    });
  });
}

describe('Redis lost under running instances', () => {
  let server: RedisServerProcess;
  const instances: Strata[] = [];

  beforeEach(async () => {
    server = await RedisServerProcess.start();
  });
  afterEach(async () => {
    await Promise.all(instances.splice(0).map((strata) => strata.close()));
    await server.stop();
  });

  async function instance(repository: MemoryAccessRepository): Promise<Strata> {
    const strata = await createStrata({
      redis: { url: server.url },
      repository,
      appServers: APP,
      registry: { nearCacheMaxStalenessMs: NEAR_CACHE_MS },
      privateTier: { nearCacheTtlMs: NEAR_CACHE_MS },
    });
    instances.push(strata);
    await strata.start();
    return strata;
  }

  it.each(['FLUSHALL', 'restart without persistence'])(
    '%s: both tiers come back from their sources, versions never go backwards, reads never see a tier emptied',
    async (fault) => {
      const repository = new MemoryAccessRepository(); // the database: survives the fault
      const a = await instance(repository);
      const b = await instance(repository);
      await a.admin.createServer('wiki', stdioConfig('node', ['wiki']), { everyone: true });
      await a.admin.createServer('notes', stdioConfig('node', ['notes']), { userIds: ['u1'] });
      const before = new Map<string, StoredServer>(await b.login('u1'));
      expect([...before.keys()].sort()).toEqual(['app-echo', 'files', 'notes', 'wiki']);
      // Live connections made before the fault: one to a shared server, one to an app server.
      await a.admin.createServer('echo', ECHO, { everyone: true });
      const sharedBefore = await a.connections.get({ kind: 'user', userId: 'u1' }, 'echo');
      const appBefore = await a.connections.get({ kind: 'app' }, 'app-echo');
      // A's near cache too holds the current tiers before the fault (during an outage an instance
      // serves its last snapshot, so "as before" means what each instance served before).
      expect([...(await a.login('u1')).keys()].sort()).toEqual(['app-echo', 'echo', 'files', 'notes', 'wiki']);

      let stop = false;
      const gaps: string[] = [];
      const reader = async (strata: Strata): Promise<void> => {
        while (!stop) {
          const names = await strata.getServers().then(
            (servers) => [...servers.keys()],
            () => undefined, // an error while Redis restarts is allowed; an emptied tier is not
          );
          if (names && !(names.includes('files') && names.includes('wiki'))) gaps.push(names.join(','));
          await new Promise((resolve) => setImmediate(resolve));
        }
      };
      const readers = [reader(a), reader(b)];
      const rebuilt = [a, b].flatMap((strata) => [tierRebuilt(strata, 'app'), tierRebuilt(strata, 'shared')]);
      if (fault === 'FLUSHALL') {
        const admin = new Redis(server.url);
        await admin.flushall();
        admin.disconnect();
      } else {
        await server.restart(); // same port, empty data
      }
      await Promise.all(rebuilt); // each tier rebuilt once, announced to both instances
      await new Promise((resolve) => setTimeout(resolve, NEAR_CACHE_MS + 50)); // the near caches' bound
      stop = true;
      await Promise.all(readers);
      expect(gaps).toEqual([]);

      for (const strata of [a, b]) {
        const after = await strata.getServers({ userId: 'u1' });
        expect([...after.keys()].sort()).toEqual(['app-echo', 'echo', 'files', 'notes', 'wiki']);
        for (const [name, server] of after) {
          if (name === 'echo') continue; // created after `before` was taken
          expect({ name, version: server.version >= (before.get(name)?.version ?? Infinity) }).toEqual({
            name,
            version: true,
          });
        }
      }
      // Connections: the shared server's version came from the database, so its connection is still
      // current (the same session); the app tier was rebuilt with new versions, so the app server's
      // connection is stale and renewed (conservative: a rebuilt file is not compared with a lost one).
      expect(await a.connections.get({ kind: 'user', userId: 'u1' }, 'echo')).toBe(sharedBefore);
      const appAfter = await a.connections.get({ kind: 'app' }, 'app-echo');
      expect(appAfter.version).toBeGreaterThan(appBefore.version);
      // Writes work again and versions keep rising.
      const next = await a.admin.updateServer('wiki', stdioConfig('node', ['wiki2']));
      expect(next.version).toBeGreaterThan(Math.max(...[...before.values()].map((server) => server.version)));
    },
  );
});
