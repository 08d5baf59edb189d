// The failure policy (docs/architecture.md, "Failure policy"), against a redis-server this file owns (never the shared ones):
// Redis killed, paused and restarted under a running registry. Reads keep working from the near
// cache (its stale-serving path, forced with a fake clock), writes fail with REDIS_UNAVAILABLE
// within their deadline (nothing hangs), everything works again once Redis is back, and no
// unhandled rejection escapes.
import { randomBytes } from 'node:crypto';
import { runInThisContext } from 'node:vm';
import { RedisServerProcess } from '@strata/test-harness';
import {
  createRedisBackend,
  McpRegistry,
  type Logger,
  type RegistryBackend,
  type StoredServer,
} from '@strata/registry/internals';
import { stdioConfig } from '../helpers';

/** Deadline of every Redis call of the backends under test. */
const TIMEOUT_MS = 500;
/**
 * Deadline while Redis is paused, where every call waits for its full deadline. Large enough that
 * one deadline plus the margin is shorter than three deadlines in a row: the assertion tells "the
 * call has a deadline" from "each of its round trips has one" without being tight on time.
 */
const PAUSED_TIMEOUT_MS = 1_000;
/**
 * Slack for scheduling on a loaded CI machine. The assertion is "settles within its deadline,
 * nothing hangs": a hang would be the 30 s test timeout, not a few hundred milliseconds.
 */
const SCHEDULING_MARGIN_MS = 1_500;
const MAX_STALENESS_MS = 1_000;
/** How long a restarted or resumed server may take to have every client of an instance back. */
const RECONNECT_DEADLINE_MS = 10_000;
const STALE_SERVED = 'near cache: serving the last snapshot, refresh failed';

const APP = [
  { name: 'files', config: stdioConfig('npx', ['files']) },
  { name: 'search', config: stdioConfig('npx', ['search']) },
];

/**
 * The real `process`: in a test file `process` is Jest's sandboxed copy, whose listeners the runtime
 * never calls. Jest also fails the test that owns an unhandled rejection; this list makes the
 * policy explicit and independent of the runner.
 */
const hostProcess = runInThisContext('process') as NodeJS.Process;
const unhandled: unknown[] = [];
const onUnhandledRejection = (reason: unknown): void => {
  unhandled.push(reason);
};

interface Instance {
  readonly backend: RegistryBackend;
  readonly registry: McpRegistry;
}

let server: RedisServerProcess;
let keyPrefix: string;
/** Fake time of every registry in the test: moved forward to force near-cache revalidation. */
let now: number;
let warnings: string[];
let instances: Instance[];

const clock = { now: (): number => now };
const recordingLogger: Logger = {
  error: () => undefined,
  warn: (message: string) => warnings.push(message),
  info: () => undefined,
  debug: () => undefined,
};

/** A backend and a started registry on this test's server, closed in afterEach. */
async function startInstance(timeoutMs = TIMEOUT_MS): Promise<Instance> {
  const backend = await createRedisBackend({ connection: { url: server.url }, keyPrefix, timeoutMs });
  const registry = new McpRegistry({
    backend,
    appServers: APP,
    clock,
    logger: recordingLogger,
    nearCacheMaxStalenessMs: MAX_STALENESS_MS,
  });
  const instance = { backend, registry };
  instances.push(instance);
  await registry.start();
  return instance;
}

/** Moves the fake clock past the near caches' staleness bound (and past any retry-after). */
function ageNearCaches(): void {
  now += MAX_STALENESS_MS + 1;
}

/**
 * Resolves once every connection of the instance is back: ioredis's commands and bus subscriber and
 * node-redis's Keyv connection. They reconnect independently (each on its own backoff); waiting for
 * the ioredis ones only let a Keyv read fail with node-redis's "The client is offline" now and then.
 * The backend's health is their conjunction, announced by the clients' own events.
 */
async function whenReconnected(instance: Instance): Promise<void> {
  await instance.backend.whenReady(RECONNECT_DEADLINE_MS);
}

/** Asserts that `work` rejects with REDIS_UNAVAILABLE and settles within the backend's deadline. */
async function expectUnavailableWithinDeadline(work: () => Promise<unknown>, timeoutMs = TIMEOUT_MS): Promise<void> {
  const startedAt = Date.now();
  const [outcome] = await Promise.allSettled([work()]);
  const elapsedMs = Date.now() - startedAt;
  expect(outcome).toMatchObject({ status: 'rejected', reason: { code: 'REDIS_UNAVAILABLE' } });
  expect(elapsedMs).toBeLessThanOrEqual(timeoutMs + SCHEDULING_MARGIN_MS);
}

/** Asserts that `work` resolves within the backend's deadline (the near cache serves stale data). */
async function expectServedWithinDeadline<T>(work: () => Promise<T>, timeoutMs = TIMEOUT_MS): Promise<T> {
  const startedAt = Date.now();
  const value = await work();
  expect(Date.now() - startedAt).toBeLessThanOrEqual(timeoutMs + SCHEDULING_MARGIN_MS);
  return value;
}

function names(servers: ReadonlyMap<string, StoredServer>): string[] {
  return [...servers.keys()].sort();
}

beforeAll(() => {
  hostProcess.on('unhandledRejection', onUnhandledRejection);
});

afterAll(() => {
  hostProcess.off('unhandledRejection', onUnhandledRejection);
});

beforeEach(async () => {
  server = await RedisServerProcess.start({ persistence: true });
  keyPrefix = `fp${randomBytes(5).toString('hex')}`;
  now = Date.parse('2030-01-01T00:00:00Z');
  warnings = [];
  instances = [];
});

afterEach(async () => {
  for (const { registry } of instances) registry.close();
  await Promise.all(instances.map(({ backend }) => backend.close()));
  await server.stop();
  // A rejection nobody handled is reported once the microtask queue drains.
  await new Promise((resolve) => setImmediate(resolve));
  expect(unhandled).toEqual([]);
});

describe('failure policy on a redis-server killed, paused and restarted', () => {
  it('Redis killed: reads served from the near cache, writes fail REDIS_UNAVAILABLE in time; all works after restart', async () => {
    const a = await startInstance();
    const wiki = await a.registry.addSharedServer('wiki', stdioConfig('node', ['wiki.js']));
    await a.registry.addSharedServer('docs', stdioConfig('node', ['docs.js']));
    const before = await a.registry.getServers();
    expect(names(before)).toEqual(['docs', 'files', 'search', 'wiki']);

    await server.kill();

    // Past the staleness bound, every read revalidates; the refresh fails and the last snapshot is served.
    ageNearCaches();
    await expect(expectServedWithinDeadline(() => a.registry.getServers())).resolves.toEqual(before);
    expect(warnings.filter((message) => message === STALE_SERVED)).toHaveLength(2);
    ageNearCaches();
    await expect(expectServedWithinDeadline(() => a.registry.getServer('files'))).resolves.toMatchObject({
      name: 'files',
      tier: 'app',
    });
    await expect(expectServedWithinDeadline(() => a.registry.getServer('wiki'))).resolves.toEqual(wiki);
    await expect(a.registry.getServer('nope')).resolves.toBeUndefined();
    expect(warnings.filter((message) => message === STALE_SERVED).length).toBeGreaterThan(2);

    await expectUnavailableWithinDeadline(() => a.registry.addSharedServer('late', stdioConfig('node', ['late.js'])));
    await expectUnavailableWithinDeadline(() => a.registry.updateSharedServer('wiki', stdioConfig('node', ['w2.js'])));
    await expectUnavailableWithinDeadline(() => a.registry.removeSharedServer('docs'));
    // Nothing was half-applied in the near cache either.
    ageNearCaches();
    await expect(a.registry.getServers()).resolves.toEqual(before);

    await server.restart();
    await whenReconnected(a);

    await a.registry.addSharedServer('late', stdioConfig('node', ['late.js']));
    await expect(a.registry.removeSharedServer('docs')).resolves.toBe(true);

    // A second instance on the same Redis: the app tier and the shared servers survived (AOF),
    // and the write made after the restart is visible.
    const b = await startInstance();
    expect(names(await b.registry.getServers())).toEqual(['files', 'late', 'search', 'wiki']);
    await expect(b.registry.getServer('wiki')).resolves.toEqual(wiki);

    // The first instance revalidates again: it sees a write made by the second one.
    const fromB = await b.registry.addSharedServer('from-b', stdioConfig('node', ['b.js']));
    ageNearCaches();
    await expect(a.registry.getServer('from-b')).resolves.toEqual(fromB);
    expect(names(await a.registry.getServers())).toEqual(['files', 'from-b', 'late', 'search', 'wiki']);
  });

  it('Redis paused (SIGSTOP, socket open, no answer): reads served, writes fail REDIS_UNAVAILABLE in time; all works after resume', async () => {
    const a = await startInstance(PAUSED_TIMEOUT_MS);
    const wiki = await a.registry.addSharedServer('wiki', stdioConfig('node', ['wiki.js']));
    const before = await a.registry.getServers();

    server.pause();
    try {
      ageNearCaches();
      await expect(expectServedWithinDeadline(() => a.registry.getServers(), PAUSED_TIMEOUT_MS)).resolves.toEqual(
        before,
      );
      ageNearCaches();
      await expect(expectServedWithinDeadline(() => a.registry.getServer('wiki'), PAUSED_TIMEOUT_MS)).resolves.toEqual(
        wiki,
      );
      expect(warnings).toContain(STALE_SERVED);
      await expectUnavailableWithinDeadline(() => a.registry.removeSharedServer('wiki'), PAUSED_TIMEOUT_MS);
    } finally {
      server.resume();
    }

    await whenReconnected(a);
    await a.registry.addSharedServer('late', stdioConfig('node', ['late.js']));
    const b = await startInstance(PAUSED_TIMEOUT_MS);
    expect(names(await b.registry.getServers())).toEqual(['files', 'late', 'search', 'wiki']);
    const fromB = await b.registry.addSharedServer('from-b', stdioConfig('node', ['b.js']));
    ageNearCaches();
    await expect(a.registry.getServer('from-b')).resolves.toEqual(fromB);
  });

  it('Redis paused: adding or updating a shared server fails REDIS_UNAVAILABLE within one deadline, and writes nothing', async () => {
    const a = await startInstance(PAUSED_TIMEOUT_MS);
    const wiki = await a.registry.addSharedServer('wiki', stdioConfig('node', ['wiki.js']));

    server.pause();
    try {
      await expectUnavailableWithinDeadline(
        () => a.registry.addSharedServer('late', stdioConfig('node', ['late.js'])),
        PAUSED_TIMEOUT_MS,
      );
      await expectUnavailableWithinDeadline(
        () => a.registry.updateSharedServer('wiki', stdioConfig('node', ['w2.js'])),
        PAUSED_TIMEOUT_MS,
      );
    } finally {
      server.resume();
    }

    // Redis answers the timed-out commands on SIGCONT: none of them may have been a write.
    await whenReconnected(a);
    const b = await startInstance(PAUSED_TIMEOUT_MS);
    expect(names(await b.registry.getServers())).toEqual(['files', 'search', 'wiki']);
    await expect(b.registry.getServer('wiki')).resolves.toEqual(wiki);
  });

  it('a read whose tiers both need revalidation pays one deadline, not one per tier, while Redis is paused', async () => {
    const a = await startInstance(PAUSED_TIMEOUT_MS);
    const wiki = await a.registry.addSharedServer('wiki', stdioConfig('node', ['wiki.js']));
    await a.registry.getServers(); // both near caches hold a snapshot
    server.pause();
    try {
      ageNearCaches(); // app and shared both stale: each needs a round trip that will time out
      const startedAt = Date.now();
      await expect(a.registry.getServer('wiki')).resolves.toEqual(wiki);
      // Two deadlines in a row would be 2 × PAUSED_TIMEOUT_MS; one (plus scheduling) is well below.
      expect(Date.now() - startedAt).toBeLessThan(1.7 * PAUSED_TIMEOUT_MS);
    } finally {
      server.resume();
    }
  });
});
