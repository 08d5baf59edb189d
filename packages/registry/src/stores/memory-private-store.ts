import { Keyv } from 'keyv';
import type { KeyBuilder } from '../keys/key-builder';
import { MemoryLeaseKeys } from '../lease/lease';
import { checkedEvent } from '../model/change-event';
import type { ChangeBus } from '../bus/change-bus';
import type { Clock } from '../runtime/clock';
import type { CommitOutcome, LoadLockAttempt, PrivateStore, UserEntry } from './private-store';

/** The private tier inside one process: Keyv memory entries with TTL, locks and generations in Maps. */
export class MemoryPrivateStore implements PrivateStore {
  private readonly keyv: Keyv<UserEntry>;
  private readonly locks: MemoryLeaseKeys;
  private readonly generations = new Map<string, number>();
  private writes: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly keys: KeyBuilder,
    private readonly bus: ChangeBus,
    private readonly clock: Clock,
  ) {
    this.keyv = new Keyv<UserEntry>({ namespace: `${keys.prefix}:private` });
    this.locks = new MemoryLeaseKeys(() => clock.now());
  }

  read(userId: string): Promise<UserEntry | undefined> {
    return this.keyv.get(this.keys.userKey(userId, 'servers'));
  }

  async acquire(userId: string, ttlMs: number, token?: string): Promise<LoadLockAttempt> {
    const loaded = (await this.keyv.get(this.keys.userKey(userId, 'servers'))) !== undefined;
    // From here to the end nothing awaits: the check and the take are one step.
    if (loaded) return { acquired: false, loaded: true };
    const attempt = this.locks.acquire(this.lockKey(userId), ttlMs, token);
    if (!attempt.acquired) return attempt;
    return { acquired: true, token: attempt.token, generation: this.generations.get(userId) ?? 0 };
  }

  renew(userId: string, token: string, ttlMs: number): Promise<boolean> {
    return Promise.resolve(this.locks.renew(this.lockKey(userId), token, ttlMs));
  }

  release(userId: string, token: string): Promise<boolean> {
    return Promise.resolve(this.locks.release(this.lockKey(userId), token));
  }

  commit(userId: string, token: string, entry: UserEntry, ttlMs: number, origin: string): Promise<CommitOutcome> {
    return this.exclusive(async () => {
      if (!this.locks.owns(this.lockKey(userId), token)) return { status: 'lock-lost' };
      const generation = this.generations.get(userId) ?? 0;
      if (generation !== entry.generation) {
        this.locks.release(this.lockKey(userId), token);
        await this.bus.publish(checkedEvent({ type: 'user.unlocked', userId, origin }));
        return { status: 'stale-generation', generation };
      }
      // Written before the lock goes, so nobody can take the lock and find the user unloaded.
      await this.keyv.set(this.keys.userKey(userId, 'servers'), entry, ttlMs); // Keyv applies the TTL
      this.locks.release(this.lockKey(userId), token);
      await this.bus.publish(checkedEvent({ type: 'user.loaded', userId, generation, origin }));
      return { status: 'committed' };
    });
  }

  /** Memory-mode events carry no entry: waiters read the store, which costs nothing here. */
  decode(): Promise<UserEntry | undefined> {
    return Promise.resolve(undefined);
  }

  invalidate(userIds: readonly string[], origin: string): Promise<void> {
    return this.exclusive(async () => {
      for (const userId of userIds) {
        this.generations.set(userId, (this.generations.get(userId) ?? 0) + 1);
        await this.keyv.delete(this.keys.userKey(userId, 'servers'));
      }
      if (userIds.length > 0) {
        await this.bus.publish(checkedEvent({ type: 'users.invalidated', userIds: [...userIds], origin }));
      }
    });
  }

  /** Commits and invalidations run one at a time, as Redis runs scripts. */
  private exclusive<T>(work: () => Promise<T>): Promise<T> {
    const run = this.writes.then(work);
    this.writes = run.catch(() => undefined);
    return run;
  }

  private lockKey(userId: string): string {
    return this.keys.userKey(userId, 'lock');
  }
}
