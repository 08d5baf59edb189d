import Redis from 'ioredis';
import { randomPrefix, redisTopologies } from '@strata/test-harness';

const topology = redisTopologies().find((candidate) => candidate.kind === 'standalone');

describe('smoke: Redis standalone is a real redis-server', () => {
  let client: Redis;
  let subscriber: Redis;
  const prefix = randomPrefix('smoke');

  beforeAll(() => {
    if (topology?.kind !== 'standalone') throw new Error('no standalone topology');
    client = new Redis(topology.url, { commandTimeout: 5_000 });
    subscriber = new Redis(topology.url, { commandTimeout: 5_000 });
  });

  afterAll(async () => {
    await client.del(`${prefix}plain`, `${prefix}ttl`);
    client.disconnect();
    subscriber.disconnect();
  });

  it('reports a redis_version from INFO', async () => {
    const info = await client.info('server');
    expect(info).toMatch(/redis_version:\d+\.\d+/);
  });

  it('sets and gets a value', async () => {
    await client.set(`${prefix}plain`, 'hello');
    await expect(client.get(`${prefix}plain`)).resolves.toBe('hello');
  });

  it('expires a key with a TTL: the server announces the expiry and the key is gone', async () => {
    const key = `${prefix}ttl`;
    // Keyspace notifications for expired keys ("Ex"); harness-started servers already have them.
    const current = (await client.config('GET', 'notify-keyspace-events')) as string[];
    const flags = current[1] ?? '';
    if (!(flags.includes('E') && (flags.includes('x') || flags.includes('A')))) {
      await client.config('SET', 'notify-keyspace-events', `${flags}Ex`);
    }
    const expired = new Promise<string>((resolve) => {
      subscriber.on('message', (_channel: string, message: string) => {
        if (message === key) resolve(message);
      });
    });
    await subscriber.subscribe('__keyevent@0__:expired');
    // The TTL is checked while it is long (a 50 ms one could lapse before PTTL on a busy host, as it
    // did once), then shortened so the expiry comes at once.
    await client.set(key, 'short-lived', 'PX', 60_000);
    const ttl = await client.pttl(key);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(60_000);
    await client.pexpire(key, 20);
    await expect(expired).resolves.toBe(key);
    await expect(client.get(key)).resolves.toBeNull();
    await expect(client.exists(key)).resolves.toBe(0);
  });
});
