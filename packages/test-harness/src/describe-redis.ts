import { createRedisClient, deleteKeysContaining, randomPrefix, redisTopologies } from './redis-topology';
import type { RedisClient, RedisTopology } from './redis-topology';

/** What a suite declared with {@link describeEachRedis} gets. */
export interface RedisTestContext {
  /** The topology of this run of the suite. */
  readonly topology: RedisTopology;
  /** A key prefix unique to the current test (`t:<hex>:`); its keys are deleted after the test. */
  readonly prefix: string;
  /**
   * The same test's id as a library key prefix (`t<hex>`: letters and digits only). Keys that
   * embed it anywhere (`{t<hex>:app}::x`) are deleted after the test too.
   */
  readonly keyPrefix: string;
  /** A client shared by the suite (created in beforeAll, closed in afterAll). */
  readonly client: RedisClient;
  /** An extra client, closed by the harness after the suite. */
  newClient(): RedisClient;
}

/**
 * Runs a suite once per Redis topology (standalone and 3-master cluster). One line per suite:
 *
 * ```ts
 * describeEachRedis('tier store', (redis) => { it('…', async () => { await redis.client.set(`${redis.prefix}k`, 1) }) })
 * ```
 */
export function describeEachRedis(title: string, suite: (context: RedisTestContext) => void): void {
  describe.each(redisTopologies().map((topology) => [topology.kind, topology] as const))(
    `%s: ${title}`,
    (_kind, topology) => {
      const extra: RedisClient[] = [];
      let shared: RedisClient | undefined;
      let prefix = '';
      const context: RedisTestContext = {
        topology,
        get prefix() {
          if (!prefix) throw new Error('prefix is set per test: read it inside a test or a hook');
          return prefix;
        },
        get keyPrefix() {
          return `t${testId(context.prefix)}`;
        },
        get client() {
          if (!shared) throw new Error('client is created in beforeAll: read it inside a test or a hook');
          return shared;
        },
        newClient() {
          const client = createRedisClient(topology);
          extra.push(client);
          return client;
        },
      };
      beforeAll(() => {
        shared = createRedisClient(topology);
      });
      beforeEach(() => {
        prefix = randomPrefix();
      });
      afterEach(async () => {
        if (shared && prefix) await deleteKeysContaining(shared, testId(prefix));
        prefix = '';
      });
      afterAll(() => {
        for (const client of [...extra.splice(0), ...(shared ? [shared] : [])]) client.disconnect();
        shared = undefined;
      });
      suite(context);
    },
  );
}

/** The random hex part of a `t:<hex>:` prefix. */
function testId(prefix: string): string {
  return prefix.split(':')[1] ?? '';
}
