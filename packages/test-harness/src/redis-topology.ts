import { randomBytes } from 'node:crypto';
import Redis, { Cluster, type RedisOptions } from 'ioredis';

/** Where a Redis integration suite runs. */
export type RedisTopology =
  | { readonly kind: 'standalone'; readonly url: string }
  | { readonly kind: 'cluster'; readonly nodes: ReadonlyArray<{ readonly host: string; readonly port: number }> };

/** A standalone server or a cluster client: what the library accepts. */
export type RedisClient = Redis | Cluster;

/** Parses `host:port[,host:port…]` as `REDIS_CLUSTER_NODES` holds it. */
export function parseClusterNodes(value: string): Array<{ host: string; port: number }> {
  return value
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry.length > 0)
    .map((entry) => {
      const match = /^(.+):(\d{1,5})$/.exec(entry);
      if (!match?.[1] || !match[2]) throw new Error(`REDIS_CLUSTER_NODES: "${entry}" is not host:port`);
      return { host: match[1], port: Number(match[2]) };
    });
}

/**
 * The topologies every Redis suite must pass on: the standalone server (`REDIS_URI`) and the
 * cluster (`REDIS_CLUSTER_NODES`). The harness's global setup fills both in when they are unset.
 */
export function redisTopologies(env: NodeJS.ProcessEnv = process.env): RedisTopology[] {
  const url = env['REDIS_URI'];
  const nodes = env['REDIS_CLUSTER_NODES'];
  if (!url || !nodes) {
    throw new Error('REDIS_URI and REDIS_CLUSTER_NODES are unset: run the tests through the root jest.config.js');
  }
  return [
    { kind: 'standalone', url },
    { kind: 'cluster', nodes: parseClusterNodes(nodes) },
  ];
}

/** Options every test client gets: bounded commands and connects, so a broken server fails a test instead of hanging it. */
const TEST_CLIENT_OPTIONS: RedisOptions = {
  commandTimeout: 5_000,
  connectTimeout: 5_000,
  maxRetriesPerRequest: 2,
};

/** A fresh ioredis client (or cluster client) for a topology. */
export function createRedisClient(topology: RedisTopology, options: RedisOptions = {}): RedisClient {
  const merged = { ...TEST_CLIENT_OPTIONS, ...options };
  if (topology.kind === 'standalone') return new Redis(topology.url, merged);
  return new Cluster(
    topology.nodes.map((node) => ({ host: node.host, port: node.port })),
    { redisOptions: merged },
  );
}

/** A random key prefix, e.g. `t:9f3a01c2b4:`; it holds no glob character. */
export function randomPrefix(label = 't'): string {
  return `${label}:${randomBytes(5).toString('hex')}:`;
}

/** Deletes every key that starts with `prefix` on every master. Test clean-up only: it scans. */
export function deleteKeysWithPrefix(client: RedisClient, prefix: string): Promise<number> {
  return deleteKeysMatching(client, prefix, `${prefix}*`);
}

/** Deletes every key that contains `fragment` (letters and digits only) on every master. Test clean-up only. */
export function deleteKeysContaining(client: RedisClient, fragment: string): Promise<number> {
  if (!/^[A-Za-z0-9]{6,}$/.test(fragment)) throw new Error(`refusing to clean up with fragment "${fragment}"`);
  return deleteKeysMatching(client, fragment, `*${fragment}*`);
}

async function deleteKeysMatching(client: RedisClient, literal: string, pattern: string): Promise<number> {
  if (/[*?[\]\\]/.test(literal)) throw new Error(`refusing to clean up with a glob: ${literal}`);
  const masters = client instanceof Cluster ? client.nodes('master') : [client];
  let deleted = 0;
  for (const node of masters) {
    let cursor = '0';
    do {
      const [next, keys] = await node.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
      cursor = next;
      for (const key of keys) deleted += await node.del(key);
    } while (cursor !== '0');
  }
  return deleted;
}

export function topologyName(topology: RedisTopology): string {
  return topology.kind;
}
