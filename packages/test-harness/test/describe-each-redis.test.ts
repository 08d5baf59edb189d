import { describeEachRedis } from '@strata/test-harness';

const seen: string[] = [];

describeEachRedis('describeEachRedis runs a suite on each topology', (redis) => {
  let previousPrefix = '';

  it('gives each test its own prefix and a working client', async () => {
    seen.push(redis.topology.kind);
    previousPrefix = redis.prefix;
    await redis.client.set(`${redis.prefix}{a}:x`, '1');
    await redis.client.set(`${redis.prefix}{b}:y`, '2');
    await expect(redis.client.get(`${redis.prefix}{b}:y`)).resolves.toBe('2');
  });

  it('deleted the previous test’s keys and changed the prefix', async () => {
    expect(redis.prefix).not.toBe(previousPrefix);
    await expect(redis.client.get(`${previousPrefix}{a}:x`)).resolves.toBeNull();
    await expect(redis.client.get(`${previousPrefix}{b}:y`)).resolves.toBeNull();
  });
});

afterAll(() => {
  expect(seen.sort()).toEqual(['cluster', 'standalone']);
});
