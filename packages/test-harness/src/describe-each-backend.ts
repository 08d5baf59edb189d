import {
  createMemoryBackend,
  createRedisBackend,
  type RedisConnection,
  type RegistryBackend,
} from '@strata/registry/internals';
import { describeEachRedis } from './describe-redis';
import type { RedisTopology } from './redis-topology';

/** Where one run of a suite declared with {@link describeEachBackend} stores its data. */
export type BackendKind = 'memory' | RedisTopology['kind'];

/** What {@link BackendTestContext.newBackend} accepts. */
export interface NewBackendOptions {
  /**
   * Deadline of every storage call, in ms. Redis only: the memory backend has no deadline.
   * @defaultValue 2000
   */
  readonly timeoutMs?: number;
}

/** What a suite declared with {@link describeEachBackend} gets. */
export interface BackendTestContext {
  /** The backend of this run: `memory`, or the Redis topology's kind (`standalone`, `cluster`). */
  readonly kind: BackendKind;
  /** The Redis topology of this run; undefined in the memory run. */
  readonly topology: RedisTopology | undefined;
  /**
   * A library key prefix unique to the current test (`mem1`, `mem2`, … in memory; the Redis
   * harness's `t<hex>`, whose keys are deleted after the test). Read it inside a test or a hook.
   */
  readonly keyPrefix: string;
  /**
   * A backend on this run's storage with {@link keyPrefix}, as one instance of a deployment
   * builds it. Memory: every call of one test resolves with the same backend, so several
   * "instances" share its stores and bus as one deployment does. Redis: a new backend (its own
   * connections) per call. Every backend made during a test is closed after that test's own
   * `afterEach` hooks have run: a suite must not close them itself.
   */
  newBackend(options?: NewBackendOptions): Promise<RegistryBackend>;
}

/** The deadline `newBackend` gives a Redis backend unless told otherwise (the library default). */
const DEFAULT_TIMEOUT_MS = 2_000;

/**
 * Runs a suite once in memory and once per Redis topology (standalone, 3-master cluster; see
 * {@link describeEachRedis}), under the titles `memory: <title>`, `standalone: <title>` and
 * `cluster: <title>`. One line per suite:
 *
 * ```ts
 * describeEachBackend('tier store conformance', (ctx) => tierStoreContract(() => ctx.newBackend()));
 * ```
 */
export function describeEachBackend(title: string, suite: (context: BackendTestContext) => void): void {
  describe(`memory: ${title}`, () => {
    let tests = 0;
    let keyPrefix = '';
    let shared: RegistryBackend | undefined;
    const context: BackendTestContext = {
      kind: 'memory',
      topology: undefined,
      get keyPrefix() {
        if (!keyPrefix) throw new Error('keyPrefix is set per test: read it inside a test or a hook');
        return keyPrefix;
      },
      newBackend() {
        shared ??= createMemoryBackend({ keyPrefix: context.keyPrefix });
        return Promise.resolve(shared);
      },
    };
    beforeEach(() => {
      tests += 1;
      keyPrefix = `mem${tests}`;
    });
    suite(context);
    // Declared after the suite's hooks, so it runs after them: the suite's users close first.
    afterEach(async () => {
      const backend = shared;
      shared = undefined;
      keyPrefix = '';
      await backend?.close();
    });
  });

  describeEachRedis(title, (redis) => {
    const opened: RegistryBackend[] = [];
    const context: BackendTestContext = {
      kind: redis.topology.kind,
      topology: redis.topology,
      get keyPrefix() {
        return redis.keyPrefix;
      },
      async newBackend(options = {}) {
        const backend = await createRedisBackend({
          connection: connectionFor(redis.topology),
          keyPrefix: redis.keyPrefix,
          timeoutMs: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
        });
        opened.push(backend);
        return backend;
      },
    };
    suite(context);
    // Declared after the suite's hooks, so it runs after them: the suite's users close first.
    afterEach(async () => {
      await Promise.all(opened.splice(0).map((backend) => backend.close()));
    });
  });
}

/** The library's connection option for a harness topology. */
function connectionFor(topology: RedisTopology): RedisConnection {
  return topology.kind === 'standalone' ? { url: topology.url } : { clusterNodes: topology.nodes };
}
