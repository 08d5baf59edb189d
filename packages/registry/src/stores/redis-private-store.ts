import calculateSlot from 'cluster-key-slot';
import { Cluster, type Redis } from 'ioredis';
import type { Keyv } from 'keyv';
import { withRedisDeadline } from '../redis/redis-errors';
import { StrataError } from '@strata/config';
import type { KeyBuilder } from '../keys/key-builder';
import { newLeaseToken, RedisLeaseKeys } from '../lease/lease';
import { REPLY, replyCode, replyNumber } from '../redis/script-replies';
import { runScript } from '../redis/scripts';
import { checkedEvent, type ChangeEvent } from '../model/change-event';
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
  private readonly locks: RedisLeaseKeys;

  constructor(private readonly deps: RedisPrivateStoreDeps) {
    this.locks = new RedisLeaseKeys(deps.client, deps.timeoutMs);
  }

  read(userId: string): Promise<UserEntry | undefined> {
    const key = this.deps.keys.userKey(userId, 'servers');
    return withRedisDeadline('read private servers', this.deps.timeoutMs, () => this.deps.keyv.get(key));
  }

  async acquire(userId: string, ttlMs: number, token: string = newLeaseToken()): Promise<LoadLockAttempt> {
    const { keys, client, timeoutMs } = this.deps;
    const reply = await withRedisDeadline('acquire load lock', timeoutMs, () =>
      runScript(
        client,
        'acquireLoad',
        [keys.userKey(userId, 'lock'), keys.userKey(userId, 'gen'), keys.userKey(userId, 'servers')],
        [token, String(ttlMs)],
      ),
    );
    const code = replyCode(reply);
    if (code === REPLY.acquireLoad.ACQUIRED) return { acquired: true, token, generation: replyNumber(reply, 1) };
    if (code === REPLY.acquireLoad.LOADED) return { acquired: false, loaded: true };
    return { acquired: false, remainingMs: Math.max(0, replyNumber(reply, 1)) };
  }

  renew(userId: string, token: string, ttlMs: number): Promise<boolean> {
    return this.locks.renew(this.deps.keys.userKey(userId, 'lock'), token, ttlMs);
  }

  release(userId: string, token: string): Promise<boolean> {
    return this.locks.release(this.deps.keys.userKey(userId, 'lock'), token);
  }

  async commit(userId: string, token: string, entry: UserEntry, ttlMs: number, origin: string): Promise<CommitOutcome> {
    const { keys, client, timeoutMs, channel, keyv } = this.deps;
    if (!keyv.serialize) throw new StrataError('INVALID_OPTIONS', 'the private-tier Keyv must have a serializer');
    const value = await keyv.serialize({ value: entry, expires: undefined });
    const event = checkedEvent({ type: 'user.loaded', userId, generation: entry.generation, origin, entry: value });
    const reply = await withRedisDeadline('commit private servers', timeoutMs, () =>
      runScript(
        client,
        'commitLoad',
        [keys.userKey(userId, 'lock'), keys.userKey(userId, 'gen'), keys.userKey(userId, 'servers')],
        [
          token,
          String(entry.generation),
          value,
          String(ttlMs),
          channel,
          JSON.stringify(event),
          JSON.stringify(checkedEvent({ type: 'user.unlocked', userId, origin })),
        ],
      ),
    );
    const code = replyCode(reply);
    if (code === REPLY.commitLoad.COMMITTED) return { status: 'committed' };
    if (code === REPLY.commitLoad.LOCK_LOST) return { status: 'lock-lost' };
    return { status: 'stale-generation', generation: replyNumber(reply, 1) };
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
        batches.map((batch) => {
          const event: ChangeEvent = checkedEvent({ type: 'users.invalidated', userIds: batch, origin });
          return runScript(
            client,
            'invalidateUsers',
            batch.flatMap((userId) => [keys.userKey(userId, 'gen'), keys.userKey(userId, 'servers')]),
            [channel, JSON.stringify(event)],
          );
        }),
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
