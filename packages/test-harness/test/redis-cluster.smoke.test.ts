import Redis, { Cluster } from 'ioredis';
import { randomPrefix, redisTopologies, deleteKeysWithPrefix } from '@strata/test-harness';

const topology = redisTopologies().find((candidate) => candidate.kind === 'cluster');

describe('smoke: Redis Cluster has 3 real masters', () => {
  let cluster: Cluster;
  const prefix = randomPrefix('smoke');

  beforeAll(async () => {
    if (topology?.kind !== 'cluster') throw new Error('no cluster topology');
    cluster = new Cluster(
      topology.nodes.map((node) => ({ ...node })),
      { redisOptions: { commandTimeout: 5_000 } },
    );
    await cluster.ping();
  });

  afterAll(async () => {
    await deleteKeysWithPrefix(cluster, prefix);
    cluster.disconnect();
  });

  it('reports cluster_state:ok with at least 3 masters', async () => {
    const info = (await cluster.call('CLUSTER', 'INFO')) as string;
    expect(info).toContain('cluster_state:ok');
    expect(cluster.nodes('master').length).toBeGreaterThanOrEqual(3);
  });

  /** A plain (non-cluster) connection to one master, closed by the caller. */
  function direct(master: Redis): Redis {
    return new Redis(master.options.port ?? 0, master.options.host ?? '127.0.0.1', { commandTimeout: 5_000 });
  }

  it('places keys with different hash tags on different masters', async () => {
    const masters = cluster.nodes('master').map(direct);
    try {
      const owners = new Set<number>(); // indexes of masters that hold one of our keys
      for (let tag = 0; owners.size < masters.length && tag < 1_000; tag += 1) {
        const key = `${prefix}{tag${tag}}:value`;
        await cluster.set(key, String(tag));
        const slot = Number(await cluster.call('CLUSTER', 'KEYSLOT', key));
        // COUNTKEYSINSLOT answers for the node asked: exactly one master stores the key.
        const counts = await Promise.all(masters.map((node) => node.call('CLUSTER', 'COUNTKEYSINSLOT', String(slot))));
        const holders = counts.flatMap((count, index) => (Number(count) > 0 ? [index] : []));
        expect(holders).toHaveLength(1);
        await expect(masters[holders[0] ?? -1]?.get(key)).resolves.toBe(String(tag));
        owners.add(holders[0] ?? -1);
      }
      expect(owners.size).toBe(masters.length);
    } finally {
      masters.forEach((node) => node.disconnect());
    }
  });

  it('rejects multi-key commands and transactions across slots (CROSSSLOT)', async () => {
    const a = `${prefix}{alpha}:k`;
    const b = `${prefix}{beta}:k`;
    expect(await cluster.call('CLUSTER', 'KEYSLOT', a)).not.toBe(await cluster.call('CLUSTER', 'KEYSLOT', b));
    // The client library refuses before sending…
    await expect(cluster.multi().set(a, '1').set(b, '2').exec()).rejects.toThrow(/slot/i);
    // …and the server refuses too, when asked directly.
    const node = direct(cluster.nodes('master')[0] as Redis);
    try {
      await expect(node.mset(a, '1', b, '2')).rejects.toThrow(/CROSSSLOT/);
      await expect(node.multi().set(a, '1').set(b, '2').exec()).rejects.toThrow(/EXECABORT|MOVED|CROSSSLOT/);
    } finally {
      node.disconnect();
    }
    // Nothing from the rejected writes was stored.
    await expect(cluster.get(a)).resolves.toBeNull();
    await expect(cluster.get(b)).resolves.toBeNull();
  });

  it('runs a MULTI whose keys share a hash tag', async () => {
    const a = `${prefix}{same}:a`;
    const b = `${prefix}{same}:b`;
    const result = await cluster.multi().set(a, '1').set(b, '2').exec();
    expect(result?.map(([error]) => error)).toEqual([null, null]);
    await expect(cluster.mget(a, b)).resolves.toEqual(['1', '2']);
  });
});
