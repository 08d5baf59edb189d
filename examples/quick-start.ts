// Strata in one file: the README's quick start, run as it is by a test
// (packages/registry/test/examples/quick-start.test.ts). Run it yourself with
//   npx tsx examples/quick-start.ts                       (memory: one process, no Redis)
//   REDIS_URI=redis://127.0.0.1:6379 npx tsx examples/quick-start.ts
//   REDIS_CLUSTER_NODES=127.0.0.1:7000,127.0.0.1:7001 npx tsx examples/quick-start.ts
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  createStrata,
  MemoryAccessRepository,
  parseStrataYaml,
  type PublicEvent,
  type RedisConnection,
} from '@strata/registry';

function redisFromEnv(env: NodeJS.ProcessEnv): RedisConnection | undefined {
  if (env['REDIS_CLUSTER_NODES']) {
    const clusterNodes = env['REDIS_CLUSTER_NODES'].split(',').map((address) => {
      const [host = '127.0.0.1', port = '6379'] = address.trim().split(':');
      return { host, port: Number(port) };
    });
    return { clusterNodes };
  }
  return env['REDIS_URI'] ? { url: env['REDIS_URI'] } : undefined;
}

async function main(): Promise<void> {
  const file = join(__dirname, '..', 'config', 'strata.yaml');
  const { servers } = parseStrataYaml(readFileSync(file, 'utf8'), file, { strict: true });
  const redis = redisFromEnv(process.env);

  const strata = await createStrata({
    ...(redis ? { redis } : {}),
    // A fresh key prefix per run, so the example never touches a real deployment's keys.
    keyPrefix: `example${process.pid}`,
    appServers: servers, // the app tier: operators' config file
    repository: new MemoryAccessRepository(), // the database (a mongoose one arrives with @strata/data-schemas)
  });
  const events: PublicEvent[] = [];
  strata.subscribe((event) => events.push(event)); // what a browser's live stream would carry
  const seen = (match: (event: PublicEvent) => boolean): Promise<void> =>
    new Promise((resolve) => {
      if (events.some(match)) return resolve();
      const off = strata.subscribe((event) => {
        if (match(event)) {
          off();
          resolve();
        }
      });
    });
  await strata.start(); // one instance writes the app tier; the others wait for it

  // An admin shares a server with one user; the user's login loads it (once across instances).
  await strata.admin.createServer(
    'notes',
    { type: 'streamable-http', url: 'https://notes.example/mcp' },
    {
      userIds: ['alice'],
    },
  );
  const alice = await strata.login('alice');
  const bob = await strata.login('bob');
  console.log(`alice: ${[...alice.keys()].sort().join(', ')}`);
  console.log(`bob: ${[...bob.keys()].sort().join(', ')}`);

  // Share it with everyone (promote: private → shared), then read as bob again.
  await strata.admin.setAccess('notes', { everyone: true });
  console.log(`bob after promote: ${[...(await strata.getServers({ userId: 'bob' })).keys()].sort().join(', ')}`);
  console.log(`notes is now ${(await strata.getServer('notes'))?.tier ?? 'gone'}`);

  await strata.admin.deleteServer('notes');
  // Events arrive over the bus (Redis pub/sub, from several nodes on a cluster: in any order); wait
  // for the ones this run caused before listing them.
  await seen((event) => event.type === 'tier.replaced');
  await seen((event) => event.type === 'user.loaded' && event.userId === 'bob');
  await seen((event) => event.type === 'access.changed' && event.userIds.includes('alice'));
  await seen((event) => event.type === 'server.changed' && event.name === 'notes' && event.change === 'removed');
  console.log(`events: ${[...new Set(events.map((event) => event.type))].sort().join(', ')}`);
  const { privateTier, bus } = strata.stats();
  console.log(`loads: ${privateTier.loaderCalls}, bus events: ${bus.received}`);
  await strata.close(); // nothing is left running: the process exits by itself
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
