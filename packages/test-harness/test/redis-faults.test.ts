import { once } from 'node:events';
import Redis from 'ioredis';
import { RedisServerProcess } from '@strata/test-harness';

describe('fault helpers: pause, kill and restart a real redis-server on its port', () => {
  let server: RedisServerProcess;
  let client: Redis;

  beforeAll(async () => {
    server = await RedisServerProcess.start();
    client = new Redis(server.port, '127.0.0.1', { commandTimeout: 300, maxRetriesPerRequest: 1 });
  });

  afterAll(async () => {
    await client.quit();
    await server.stop();
  });

  it('pause makes commands time out; resume makes them answer again', async () => {
    await client.set('k', 'v');
    server.pause();
    await expect(client.get('k')).rejects.toThrow(/timed out/i);
    server.resume();
    await expect(client.get('k')).resolves.toBe('v');
  });

  it('kill drops the server; restart brings it back empty on the same port', async () => {
    await client.set('k', 'v');
    const port = server.port;
    await server.kill();
    expect(server.running).toBe(false);
    await expect(client.get('k')).rejects.toThrow();
    await server.restart();
    expect(server.port).toBe(port);
    const fresh = new Redis(port, '127.0.0.1', { commandTimeout: 2_000 });
    try {
      await expect(fresh.get('k')).resolves.toBeNull();
    } finally {
      await fresh.quit();
    }
    // The first client reconnects by itself once the server is back.
    if (client.status !== 'ready') await once(client, 'ready');
    await expect(client.get('k')).resolves.toBeNull();
  });
});
