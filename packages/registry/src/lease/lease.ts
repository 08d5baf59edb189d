import { randomBytes } from 'node:crypto';
import type { Cluster, Redis } from 'ioredis';
import { StrataError } from '@strata/config';
import { withRedisDeadline } from '../redis/redis-errors';
import { REPLY, replyCode, replyNumber } from '../redis/script-replies';
import { runScript } from '../redis/scripts';

export type LeaseAttempt =
  { readonly acquired: true; readonly token: string } | { readonly acquired: false; readonly remainingMs: number };

/**
 * A lock with an owner token and a TTL: taken with SET NX PX, renewed and released only by its
 * owner (owner-checked Lua), so a slow holder can never delete the next holder's lease.
 */
export interface Lease {
  acquire(ttlMs: number): Promise<LeaseAttempt>;
  /** False when the lease was lost (expired, or taken by another owner). */
  renew(token: string, ttlMs: number): Promise<boolean>;
  /** False when the caller no longer owned it; nothing is deleted then. */
  release(token: string): Promise<boolean>;
}

export function newLeaseToken(): string {
  return randomBytes(16).toString('hex');
}

/**
 * Owner-checked renew and release of any lease key in Redis: the one implementation behind the
 * app-tier leader lease and the private tier's per-user load locks.
 */
export class RedisLeaseKeys {
  constructor(
    private readonly client: Redis | Cluster,
    private readonly timeoutMs: number,
  ) {}

  async acquire(key: string, ttlMs: number, token: string = newLeaseToken()): Promise<LeaseAttempt> {
    let reply: Awaited<ReturnType<typeof runScript>>;
    try {
      reply = await withRedisDeadline('acquire lease', this.timeoutMs, () =>
        runScript(this.client, 'acquireLease', [key], [token, String(ttlMs)]),
      );
    } catch (error) {
      // Past the deadline Redis may still run the attempt (a paused server runs what it received):
      // the owner-checked release right behind it, on the same connection, ends such a lease at once
      // instead of its TTL.
      if (error instanceof StrataError && error.code === 'REDIS_UNAVAILABLE') {
        void this.release(key, token).catch(() => false);
      }
      throw error;
    }
    return replyCode(reply) === REPLY.acquireLease.ACQUIRED
      ? { acquired: true, token }
      : { acquired: false, remainingMs: Math.max(0, replyNumber(reply, 1)) };
  }

  async renew(key: string, token: string, ttlMs: number): Promise<boolean> {
    const reply = await withRedisDeadline('renew lease', this.timeoutMs, () =>
      runScript(this.client, 'renewLease', [key], [token, String(ttlMs)]),
    );
    return replyCode(reply) === REPLY.renewLease.RENEWED;
  }

  async release(key: string, token: string): Promise<boolean> {
    const reply = await withRedisDeadline('release lease', this.timeoutMs, () =>
      runScript(this.client, 'releaseLease', [key], [token]),
    );
    return replyCode(reply) === REPLY.releaseLease.RELEASED;
  }
}

/** One Redis lease key (the app tier's leader lease). */
export class RedisLease implements Lease {
  private readonly keys: RedisLeaseKeys;

  constructor(
    client: Redis | Cluster,
    private readonly key: string,
    timeoutMs: number,
  ) {
    this.keys = new RedisLeaseKeys(client, timeoutMs);
  }

  acquire(ttlMs: number): Promise<LeaseAttempt> {
    return this.keys.acquire(this.key, ttlMs);
  }

  renew(token: string, ttlMs: number): Promise<boolean> {
    return this.keys.renew(this.key, token, ttlMs);
  }

  release(token: string): Promise<boolean> {
    return this.keys.release(this.key, token);
  }
}

/** The same contract inside one process, for any number of keys (memory mode). */
export class MemoryLeaseKeys {
  private readonly holders = new Map<string, { token: string; expiresAt: number }>();

  constructor(private readonly now: () => number = Date.now) {}

  /** Remaining TTL of a live holder, or undefined when the key is free. */
  remaining(key: string): number | undefined {
    const holder = this.holders.get(key);
    const left = holder ? holder.expiresAt - this.now() : 0;
    return left > 0 ? left : undefined;
  }

  acquire(key: string, ttlMs: number, token: string = newLeaseToken()): LeaseAttempt {
    const remainingMs = this.remaining(key);
    if (remainingMs !== undefined) return { acquired: false, remainingMs };
    this.holders.set(key, { token, expiresAt: this.now() + ttlMs });
    return { acquired: true, token };
  }

  owns(key: string, token: string): boolean {
    const holder = this.holders.get(key);
    return holder !== undefined && holder.token === token && holder.expiresAt > this.now();
  }

  renew(key: string, token: string, ttlMs: number): boolean {
    const holder = this.holders.get(key);
    if (!holder || !this.owns(key, token)) return false;
    holder.expiresAt = this.now() + ttlMs;
    return true;
  }

  release(key: string, token: string): boolean {
    if (!this.owns(key, token)) return false;
    this.holders.delete(key);
    return true;
  }
}

/** One in-process lease (memory mode's app-tier leader lease). */
export class MemoryLease implements Lease {
  private static readonly KEY = 'lease';
  private readonly keys: MemoryLeaseKeys;

  constructor(now: () => number = Date.now) {
    this.keys = new MemoryLeaseKeys(now);
  }

  acquire(ttlMs: number): Promise<LeaseAttempt> {
    return Promise.resolve(this.keys.acquire(MemoryLease.KEY, ttlMs));
  }

  renew(token: string, ttlMs: number): Promise<boolean> {
    return Promise.resolve(this.keys.renew(MemoryLease.KEY, token, ttlMs));
  }

  release(token: string): Promise<boolean> {
    return Promise.resolve(this.keys.release(MemoryLease.KEY, token));
  }
}
