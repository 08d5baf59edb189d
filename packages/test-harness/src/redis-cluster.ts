import Redis from 'ioredis';
import { RedisServerProcess } from './redis-server-process';

const SLOTS = 16384;

/** Options for {@link RedisClusterProcess.start}. */
export interface RedisClusterOptions {
  /** Number of masters. @defaultValue 3 */
  masters?: number;
  /** Deadline for `cluster_state:ok` on every node. @defaultValue 20000 */
  readyTimeoutMs?: number;
}

/**
 * A real Redis Cluster of N masters (no replicas) on free loopback ports: each node gets an
 * even share of the 16384 slots, the nodes MEET, and start resolves once every node reports
 * `cluster_state:ok` and knows every other node.
 */
export class RedisClusterProcess {
  private constructor(readonly nodes: RedisServerProcess[]) {}

  static async start(options: RedisClusterOptions = {}): Promise<RedisClusterProcess> {
    const masters = options.masters ?? 3;
    const nodes = await Promise.all(Array.from({ length: masters }, () => RedisServerProcess.start({ cluster: true })));
    const cluster = new RedisClusterProcess(nodes);
    try {
      await cluster.form(options.readyTimeoutMs ?? 20_000);
    } catch (error) {
      await cluster.stop();
      throw error;
    }
    return cluster;
  }

  /** `host:port` of every master, the form `REDIS_CLUSTER_NODES` takes. */
  get addresses(): string[] {
    return this.nodes.map((node) => `127.0.0.1:${node.port}`);
  }

  private async form(readyTimeoutMs: number): Promise<void> {
    const clients = this.nodes.map(
      (node) => new Redis(node.port, '127.0.0.1', { lazyConnect: true, maxRetriesPerRequest: 1 }),
    );
    try {
      await Promise.all(clients.map((client) => client.connect()));
      const share = Math.ceil(SLOTS / clients.length);
      await Promise.all(
        clients.map((client, index) => {
          const first = index * share;
          const last = Math.min(SLOTS, first + share) - 1;
          return client.call('CLUSTER', 'ADDSLOTSRANGE', String(first), String(last));
        }),
      );
      const [seed] = clients;
      if (!seed) throw new Error('a cluster needs at least one node');
      for (const node of this.nodes.slice(1)) {
        await seed.call('CLUSTER', 'MEET', '127.0.0.1', String(node.port));
      }
      await waitFor(readyTimeoutMs, async () => {
        const infos = await Promise.all(clients.map((client) => client.call('CLUSTER', 'INFO') as Promise<string>));
        return infos.every(
          (info) => info.includes('cluster_state:ok') && info.includes(`cluster_known_nodes:${clients.length}`),
        );
      });
    } finally {
      clients.forEach((client) => client.disconnect());
    }
  }

  async stop(): Promise<void> {
    await Promise.all(this.nodes.map((node) => node.stop()));
  }
}

/**
 * Re-checks a condition until it holds, with a deadline. Only for state that Redis announces
 * through no event (cluster gossip convergence); never a stand-in for an event that exists.
 */
export async function waitFor(timeoutMs: number, condition: () => Promise<boolean>, intervalMs = 50): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await condition()) return;
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
