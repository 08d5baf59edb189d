import type Redis from 'ioredis';

/** Keys one script call writes or deletes: ~5 ms of server time, so other clients are never held up long. */
const BATCH = 10_000;

/**
 * Writes `<base><from>` … `<base><to>` with a small value. Key names are built inside the script
 * (not passed as KEYS): a standalone-server bench fixture only, never a request path.
 */
const FILL_LUA = `
local base, value = ARGV[1], ARGV[4]
for i = tonumber(ARGV[2]), tonumber(ARGV[3]) do redis.call('SET', base .. i, value) end
return 1`;

const UNLINK_LUA = `
local base, deleted = ARGV[1], 0
for i = tonumber(ARGV[2]), tonumber(ARGV[3]) do deleted = deleted + redis.call('UNLINK', base .. i) end
return deleted`;

/** The value of every filler key (about the size of a small cache entry's metadata). */
const FILLER_VALUE = 'filler-value-16b';

/** Writes `count` keys `<base>0` … in batches of 10,000 (scripts pipelined on one connection). */
export async function fillKeys(client: Redis, base: string, count: number): Promise<void> {
  const calls: Array<Promise<unknown>> = [];
  for (let from = 0; from < count; from += BATCH) {
    const to = Math.min(count, from + BATCH) - 1;
    calls.push(client.eval(FILL_LUA, 0, base, String(from), String(to), FILLER_VALUE));
  }
  await Promise.all(calls);
}

/** Deletes what {@link fillKeys} wrote; resolves with the number of keys deleted. */
export async function deleteFilledKeys(client: Redis, base: string, count: number): Promise<number> {
  const calls: Array<Promise<unknown>> = [];
  for (let from = 0; from < count; from += BATCH) {
    const to = Math.min(count, from + BATCH) - 1;
    calls.push(client.eval(UNLINK_LUA, 0, base, String(from), String(to)));
  }
  return (await Promise.all(calls)).reduce<number>((sum, deleted) => sum + Number(deleted), 0);
}

/** `used_memory` of `INFO memory`, in bytes. */
export async function usedMemory(client: Redis): Promise<number> {
  const info = await client.info('memory');
  return Number(/^used_memory:(\d+)/m.exec(info)?.[1] ?? Number.NaN);
}
