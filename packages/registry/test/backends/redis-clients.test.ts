// The two Redis clients of an instance — ioredis (scripts, locks, pub/sub) and node-redis under
// @keyv/redis (the Keyv caches) — come from one settings object, so they cannot disagree on
// credentials, TLS, timeouts or reconnecting; the backend's health is the conjunction of all three
// connections (commands, subscriber, keyv), followed through the clients' own events.
import { randomBytes } from 'node:crypto';
import Redis from 'ioredis';
import { RedisServerProcess } from '@strata/test-harness';
import {
  createRedisBackend,
  createRedisClients,
  ioredisOptions,
  nodeRedisOptions,
  type BackendHealth,
  type RedisClientSettings,
  type RegistryBackend,
} from '@strata/registry/internals';
import { stored } from '../helpers';

const SETTINGS: RedisClientSettings = {
  connection: {
    url: 'rediss://cache.internal:6380',
    username: 'strata',
    password: 'pw-0f9e8d7c',
    tls: { ca: 'CA PEM', servername: 'cache.internal', rejectUnauthorized: true },
  },
  timeoutMs: 1_234,
  reconnect: { baseDelayMs: 20, maxDelayMs: 700 },
  name: 'strata',
};

describe('one settings object for both clients', () => {
  it('gives ioredis and node-redis the same credentials, TLS, timeouts and reconnect delays', () => {
    const io = ioredisOptions(SETTINGS);
    const node = nodeRedisOptions(SETTINGS);
    expect({ username: io.username, password: io.password }).toEqual({ username: 'strata', password: 'pw-0f9e8d7c' });
    expect({ username: node.username, password: node.password }).toEqual({
      username: 'strata',
      password: 'pw-0f9e8d7c',
    });
    expect(io.tls).toMatchObject({ ca: 'CA PEM', servername: 'cache.internal', rejectUnauthorized: true });
    expect(node.socket).toMatchObject({
      tls: true,
      ca: 'CA PEM',
      servername: 'cache.internal',
      rejectUnauthorized: true,
    });
    expect([io.connectTimeout, io.commandTimeout]).toEqual([1_234, 1_234]);
    expect([node.socket['connectTimeout'], node.commandOptions.timeout]).toEqual([1_234, 1_234]);
    // ioredis counts attempts from 1, node-redis retries from 0: the same delay for the same attempt.
    const ioDelays = Array.from({ length: 12 }, (_, i) => io.retryStrategy?.(i + 1));
    const nodeStrategy = node.socket['reconnectStrategy'] as (retries: number) => number;
    const nodeDelays = Array.from({ length: 12 }, (_, i) => nodeStrategy(i));
    expect(nodeDelays).toEqual(ioDelays);
    expect(ioDelays.slice(0, 4)).toEqual([20, 40, 80, 160]);
    expect(Math.max(...ioDelays.map(Number))).toBe(700);
    // Both queues are off: a command during an outage fails at once instead of waiting.
    expect([io.enableOfflineQueue, node.disableOfflineQueue]).toEqual([false, true]);
  });

  it('a cluster connection gives both cluster clients the same nodes, TLS scheme and credentials', () => {
    const { commands, keyv } = createRedisClients({
      ...SETTINGS,
      connection: { clusterNodes: [{ host: '10.0.0.1', port: 7000 }], password: 'pw', tls: true },
    });
    try {
      expect('masters' in keyv).toBe(true);
      const cluster = commands as unknown as {
        startupNodes: unknown[];
        options: { redisOptions: { password?: string; tls?: unknown } };
      };
      expect(cluster.startupNodes).toEqual([{ host: '10.0.0.1', port: 7000 }]);
      expect(cluster.options.redisOptions).toMatchObject({ password: 'pw', tls: {} });
      const nodeCluster = keyv as unknown as {
        _options: { rootNodes: Array<{ url: string }>; defaults: { password?: string } };
      };
      expect(nodeCluster._options.rootNodes).toEqual([{ url: 'rediss://10.0.0.1:7000' }]);
      expect(nodeCluster._options.defaults.password).toBe('pw');
    } finally {
      commands.disconnect();
    }
  });
});

describe('a backend on its own redis-server', () => {
  let server: RedisServerProcess;
  let backend: RegistryBackend | undefined;

  beforeEach(async () => {
    server = await RedisServerProcess.start();
  });

  afterEach(async () => {
    await backend?.close();
    backend = undefined;
    await server.stop();
  });

  /** The next health that satisfies `match`, announced by the backend (subscribe before acting). */
  function nextHealth(match: (health: BackendHealth) => boolean): Promise<BackendHealth> {
    return new Promise((resolve) => {
      const off = backend?.onHealthChange((health) => {
        if (!match(health)) return;
        off?.();
        resolve(health);
      });
    });
  }

  it('both clients authenticate with the password of the one connection object', async () => {
    const admin = new Redis(server.url);
    await admin.config('SET', 'requirepass', 'pw-5a4b');
    admin.disconnect();
    const keyPrefix = `rc${randomBytes(4).toString('hex')}`;
    backend = await createRedisBackend({ connection: { url: server.url, password: 'pw-5a4b' }, keyPrefix });
    await backend.bus.start(); // the subscriber (a duplicate of the commands client) authenticates too
    const tier = backend.tierStore('shared');
    await tier.put(stored('wiki', 1)); // a Lua script over ioredis
    await expect(tier.get('wiki')).resolves.toEqual(stored('wiki', 1)); // a Keyv read over node-redis
    expect(backend.health()).toEqual({ ready: true, clients: { commands: true, subscriber: true, keyv: true } });
  });

  it('health is the conjunction: one client down makes the backend not ready; whenReady waits for all', async () => {
    backend = await createRedisBackend({
      connection: { url: server.url },
      keyPrefix: `rc${randomBytes(4).toString('hex')}`,
      reconnect: { baseDelayMs: 300, maxDelayMs: 300 },
    });
    await backend.bus.start(); // the subscriber connects on start
    expect(backend.health()).toEqual({ ready: true, clients: { commands: true, subscriber: true, keyv: true } });

    // Only the Keyv connection is dropped (found by its name in CLIENT LIST).
    const admin = new Redis(server.url);
    try {
      const list = await admin.client('LIST');
      const keyvId = /id=(\d+) [^\n]*name=(\S+):keyv/.exec(String(list))?.[1];
      expect(keyvId).toBeDefined();
      const down = nextHealth((health) => !health.ready);
      await admin.client('KILL', 'ID', keyvId ?? '');
      await expect(down).resolves.toEqual({
        ready: false,
        clients: { commands: true, subscriber: true, keyv: false },
      });
    } finally {
      admin.disconnect();
    }
    await backend.whenReady(5_000);
    expect(backend.health().ready).toBe(true);

    // Redis gone: nobody is ready; back: whenReady resolves once all three have reconnected.
    const allDown = nextHealth((health) => Object.values(health.clients).every((up) => !up));
    await server.kill();
    await allDown;
    await expect(backend.whenReady(100)).rejects.toMatchObject({ code: 'REDIS_UNAVAILABLE' });
    await server.restart();
    await backend.whenReady(5_000);
    expect(backend.health()).toEqual({ ready: true, clients: { commands: true, subscriber: true, keyv: true } });
  });
});
