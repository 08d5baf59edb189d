import { randomBytes } from 'node:crypto';
import type { Cluster, Redis } from 'ioredis';
import { withRedisDeadline } from '../errors/redis-errors';
import { registerScripts } from '../redis/scripts';

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

export class RedisLease implements Lease {
  constructor(
    private readonly client: Redis | Cluster,
    private readonly key: string,
    private readonly timeoutMs: number,
  ) {
    registerScripts(client);
  }

  async acquire(ttlMs: number): Promise<LeaseAttempt> {
    const token = newLeaseToken();
    const reply = await withRedisDeadline('acquire lease', this.timeoutMs, () =>
      this.client.strataAcquireLease(this.key, token, String(ttlMs)),
    );
    return Number(reply[0]) === 1
      ? { acquired: true, token }
      : { acquired: false, remainingMs: Math.max(0, Number(reply[1])) };
  }

  async renew(token: string, ttlMs: number): Promise<boolean> {
    const reply = await withRedisDeadline('renew lease', this.timeoutMs, () =>
      this.client.strataRenewLease(this.key, token, String(ttlMs)),
    );
    return Number(reply[0]) === 1;
  }

  async release(token: string): Promise<boolean> {
    const reply = await withRedisDeadline('release lease', this.timeoutMs, () =>
      this.client.strataReleaseLease(this.key, token),
    );
    return Number(reply[0]) === 1;
  }
}

/** The same contract inside one process (memory mode). */
export class MemoryLease implements Lease {
  private holder: { token: string; expiresAt: number } | undefined;

  constructor(private readonly now: () => number = Date.now) {}

  acquire(ttlMs: number): Promise<LeaseAttempt> {
    const now = this.now();
    if (this.holder && this.holder.expiresAt > now) {
      return Promise.resolve({ acquired: false, remainingMs: this.holder.expiresAt - now });
    }
    const token = newLeaseToken();
    this.holder = { token, expiresAt: now + ttlMs };
    return Promise.resolve({ acquired: true, token });
  }

  renew(token: string, ttlMs: number): Promise<boolean> {
    const now = this.now();
    if (this.holder?.token !== token || this.holder.expiresAt <= now) return Promise.resolve(false);
    this.holder.expiresAt = now + ttlMs;
    return Promise.resolve(true);
  }

  release(token: string): Promise<boolean> {
    if (this.holder?.token !== token || this.holder.expiresAt <= this.now()) return Promise.resolve(false);
    this.holder = undefined;
    return Promise.resolve(true);
  }
}
