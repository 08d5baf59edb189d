import calculateSlot from 'cluster-key-slot';
import { Cluster, type Redis } from 'ioredis';
import type { Keyv } from 'keyv';
import { withRedisDeadline } from '../errors/redis-errors';
import { StrataError } from '../errors/strata-error';
import type { KeyBuilder } from '../keys/key-builder';
import { newLeaseToken } from '../lock/lease';
import { registerScripts } from '../redis/scripts';
import type { ChangeEvent } from '../sync/change-event';
import type { CommitOutcome, LoadLockAttempt, PrivateStore, UserEntry } from './private-store';

export interface RedisPrivateStoreDeps {
  readonly client: Redis | Cluster;
  /** Keyv on `@keyv/redis` with no namespace: per-user keys carry the user's hash tag themselves. */
  readonly keyv: Keyv<UserEntry>;
  readonly keys: KeyBuilder;
  readonly channel: string;
  readonly timeoutMs: number;
}

/**
 * The private tier in Redis. Every key of a user carries the user's hash tag, so each script
 * touches one slot. Entries are Keyv values (serialized in JS, stored by Lua with PX).
 */
export class RedisPrivateStore implements PrivateStore {
  constructor(private readonly deps: RedisPrivateStoreDeps) {
    registerScripts(deps.client);
  }

  read(userId: string): Promise<UserEntry | undefined> {
    const key = this.deps.keys.userKey(userId, 'servers');
    return withRedisDeadline('read private servers', this.deps.timeoutMs, () => this.deps.keyv.get(key));
  }

  async acquire(userId: string, ttlMs: number): Promise<LoadLockAttempt> {
    const token = newLeaseToken();
    const { keys, client, timeoutMs } = this.deps;
    const reply = await withRedisDeadline('acquire load lock', timeoutMs, () =>
      client.strataAcquireLoad(
        keys.userKey(userId, 'lock'),
        keys.userKey(userId, 'gen'),
        keys.userKey(userId, 'servers'),
        token,
        String(ttlMs),
      ),
    );
    const code = Number(reply[0]);
    if (code === 1) return { acquired: true, token, generation: Number(reply[1]) };
    if (code === 2) return { acquired: false, loaded: true };
    return { acquired: false, remainingMs: Math.max(0, Number(reply[1])) };
  }

  async renew(userId: string, token: string, ttlMs: number): Promise<boolean> {
    const reply = await withRedisDeadline('renew load lock', this.deps.timeoutMs, () =>
      this.deps.client.strataRenewLease(this.deps.keys.userKey(userId, 'lock'), token, String(ttlMs)),
    );
    return Number(reply[0]) === 1;
  }

  async release(userId: string, token: string): Promise<boolean> {
    const reply = await withRedisDeadline('release load lock', this.deps.timeoutMs, () =>
      this.deps.client.strataReleaseLease(this.deps.keys.userKey(userId, 'lock'), token),
    );
    return Number(reply[0]) === 1;
  }

  async commit(userId: string, token: string, entry: UserEntry, ttlMs: number, origin: string): Promise<CommitOutcome> {
    const { keys, client, timeoutMs, channel, keyv } = this.deps;
    if (!keyv.serialize) throw new StrataError('INVALID_OPTIONS', 'the private-tier Keyv must have a serializer');
    const value = await keyv.serialize({ value: entry, expires: undefined });
    const event: ChangeEvent = { type: 'user.loaded', userId, generation: entry.generation, origin, entry: value };
    const reply = await withRedisDeadline('commit private servers', timeoutMs, () =>
      client.strataCommitLoad(
        keys.userKey(userId, 'lock'),
        keys.userKey(userId, 'gen'),
        keys.userKey(userId, 'servers'),
        token,
        String(entry.generation),
        value,
        String(ttlMs),
        channel,
        JSON.stringify(event),
      ),
    );
    const code = Number(reply[0]);
    if (code === 1) return { status: 'committed' };
    if (code === -1) return { status: 'lock-lost' };
    return { status: 'stale-generation', generation: Number(reply[1]) };
  }

  async decode(raw: string): Promise<UserEntry | undefined> {
    try {
      const data = await this.deps.keyv.deserialize?.<UserEntry>(raw);
      const entry = data?.value;
      return entry && Array.isArray(entry.servers) && Number.isInteger(entry.generation) ? entry : undefined;
    } catch {
      return undefined;
    }
  }

  async invalidate(userIds: readonly string[], origin: string): Promise<void> {
    if (userIds.length === 0) return;
    const { keys, client, timeoutMs, channel } = this.deps;
    // Batches of users that share a slot (all of them on a standalone server): one script call and
    // one bus message per batch. Cost ∝ users affected, never a scan.
    const batches = groupBySlot(userIds, (userId) => keys.userTag(userId), client instanceof Cluster, 500);
    await withRedisDeadline('invalidate users', timeoutMs * Math.max(1, Math.ceil(userIds.length / 10_000)), () =>
      Promise.all(
        batches.map((batch) =>
          client.strataInvalidateUsers(
            batch.length * 2,
            ...batch.flatMap((userId) => [keys.userKey(userId, 'gen'), keys.userKey(userId, 'servers')]),
            channel,
            origin,
            ...batch,
          ),
        ),
      ),
    );
  }
}

/** Splits ids into batches of at most `size` whose keys share one hash slot (one batch per slot on a cluster). */
function groupBySlot(
  ids: readonly string[],
  tagOf: (id: string) => string,
  cluster: boolean,
  size: number,
): string[][] {
  const groups = new Map<number, string[]>();
  for (const id of ids) {
    const slot = cluster ? calculateSlot(tagOf(id)) : 0;
    const group = groups.get(slot) ?? [];
    group.push(id);
    groups.set(slot, group);
  }
  const batches: string[][] = [];
  for (const group of groups.values()) {
    for (let start = 0; start < group.length; start += size) batches.push(group.slice(start, start + size));
  }
  return batches;
}
