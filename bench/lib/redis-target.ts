import { randomBytes } from 'node:crypto';
import Redis from 'ioredis';
import { RedisServerProcess } from '../../packages/test-harness/src/redis-server-process';

/** The Redis one bench run talks to. */
export interface RedisTarget {
  readonly url: string;
  /** True when `REDIS_URI` names a server this run does not own: other clients may be talking to it. */
  readonly external: boolean;
  /** A fresh random key prefix (letters and digits); {@link close} deletes its keys on an external server. */
  newKeyPrefix(): string;
  /** A plain ioredis client on the target; closed by {@link close}. */
  connect(): Promise<Redis>;
  /** Closes the clients it made, deletes this run's keys (external server) or stops the server (own one). */
  close(): Promise<void>;
}

/** Deadline of every command of the bench's own clients: a stuck server fails the run instead of hanging it. */
const COMMAND_TIMEOUT_MS = 10_000;

/**
 * A private `redis-server` on a free port, or the standalone server at `env.REDIS_URI` when set.
 * On an external server only keys under the prefixes handed out here are ever deleted (never FLUSHALL).
 */
export async function startRedisTarget(env: NodeJS.ProcessEnv = process.env): Promise<RedisTarget> {
  const externalUrl = env['REDIS_URI'];
  const server = externalUrl ? undefined : await RedisServerProcess.start();
  const url = externalUrl ?? server?.url ?? '';
  const prefixes: string[] = [];
  const clients: Redis[] = [];

  const connect = async (): Promise<Redis> => {
    const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1, commandTimeout: COMMAND_TIMEOUT_MS });
    clients.push(client);
    await client.connect();
    return client;
  };

  return {
    url,
    external: server === undefined,
    newKeyPrefix() {
      const prefix = `bench${randomBytes(6).toString('hex')}`;
      prefixes.push(prefix);
      return prefix;
    },
    connect,
    async close() {
      try {
        if (server === undefined && prefixes.length > 0) {
          const cleaner = await connect();
          for (const prefix of prefixes) await deleteKeysOf(cleaner, prefix);
        }
      } finally {
        await Promise.all(clients.map((client) => client.quit().catch(() => client.disconnect())));
        await server?.stop();
      }
    },
  };
}

/** Deletes `{prefix:…}` and `prefix:…` keys (the registry's layout); bench clean-up only, never a request path. */
async function deleteKeysOf(client: Redis, prefix: string): Promise<void> {
  for (const pattern of [`{${prefix}:*`, `${prefix}:*`]) {
    let cursor = '0';
    do {
      const [next, keys] = await client.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
      if (keys.length > 0) await client.unlink(...keys);
      cursor = next;
    } while (cursor !== '0');
  }
}
