import type { Cluster, Redis } from 'ioredis';
import { withRedisDeadline } from '@strata/registry/internals';
import type { Logger } from '@strata/registry';

/** What an instance says about itself in each heartbeat. */
export interface InstanceInfo {
  readonly instanceId: string;
  readonly url: string | undefined;
  readonly startedAt: string;
  readonly lastSeen: string;
  /** This instance's live MCP connections (names, scopes, states: never a config). */
  readonly connections: ReadonlyArray<{
    readonly name: string;
    readonly scope: { readonly kind: string; readonly userId?: string; readonly sessionId?: string };
    readonly state: string;
  }>;
}

/** Where instances heartbeat: Redis (every instance of a deploy) or memory (one process). */
export interface InstanceStore {
  put(info: InstanceInfo, ttlMs: number): Promise<void>;
  remove(instanceId: string): Promise<void>;
  /** Instances seen within their TTL. */
  list(): Promise<InstanceInfo[]>;
}

export class MemoryInstanceStore implements InstanceStore {
  private readonly entries = new Map<string, { info: InstanceInfo; expiresAt: number }>();

  put(info: InstanceInfo, ttlMs: number): Promise<void> {
    this.entries.set(info.instanceId, { info, expiresAt: Date.now() + ttlMs });
    return Promise.resolve();
  }

  remove(instanceId: string): Promise<void> {
    this.entries.delete(instanceId);
    return Promise.resolve();
  }

  list(): Promise<InstanceInfo[]> {
    const now = Date.now();
    return Promise.resolve([...this.entries.values()].filter((e) => e.expiresAt > now).map((e) => e.info));
  }
}

/**
 * Heartbeats in Redis: a sorted set (member: instance id, score: expiry) and a hash of the infos,
 * both under one hash tag so each beat is one MULTI on one slot. Listing reads live members only
 * and prunes expired ones; no SCAN.
 */
export class RedisInstanceStore implements InstanceStore {
  private readonly seenKey: string;
  private readonly infoKey: string;

  constructor(
    private readonly client: Redis | Cluster,
    prefix: string,
    private readonly timeoutMs: number,
  ) {
    this.seenKey = `{${prefix}:instances}:seen`;
    this.infoKey = `{${prefix}:instances}:info`;
  }

  async put(info: InstanceInfo, ttlMs: number): Promise<void> {
    await withRedisDeadline('instance heartbeat', this.timeoutMs, () =>
      this.client
        .multi()
        .zadd(this.seenKey, Date.now() + ttlMs, info.instanceId)
        .hset(this.infoKey, info.instanceId, JSON.stringify(info))
        .exec(),
    );
  }

  async remove(instanceId: string): Promise<void> {
    await withRedisDeadline('instance removal', this.timeoutMs, () =>
      this.client.multi().zrem(this.seenKey, instanceId).hdel(this.infoKey, instanceId).exec(),
    );
  }

  async list(): Promise<InstanceInfo[]> {
    const now = Date.now();
    const expired = await withRedisDeadline('instance list', this.timeoutMs, () =>
      this.client.zrangebyscore(this.seenKey, '-inf', now),
    );
    if (expired.length > 0) {
      await withRedisDeadline('instance prune', this.timeoutMs, () =>
        this.client
          .multi()
          .zremrangebyscore(this.seenKey, '-inf', now)
          .hdel(this.infoKey, ...expired)
          .exec(),
      );
    }
    const live = await withRedisDeadline('instance list', this.timeoutMs, () =>
      this.client.zrangebyscore(this.seenKey, now, '+inf'),
    );
    if (live.length === 0) return [];
    const infos = await withRedisDeadline('instance list', this.timeoutMs, () =>
      this.client.hmget(this.infoKey, ...live),
    );
    return infos.flatMap((raw) => (raw ? [JSON.parse(raw) as InstanceInfo] : []));
  }
}

/** Beats every `ttlMs / 3` until `close()`, which removes the instance at once. */
export class InstanceHeartbeat {
  private timer: NodeJS.Timeout | undefined;
  private readonly startedAt = new Date().toISOString();

  constructor(
    private readonly store: InstanceStore,
    private readonly describe: () => Omit<InstanceInfo, 'startedAt' | 'lastSeen'>,
    private readonly ttlMs: number,
    private readonly logger: Logger,
  ) {}

  async start(): Promise<void> {
    await this.beat();
    this.timer = setInterval(() => void this.beat(), Math.max(100, Math.floor(this.ttlMs / 3)));
    this.timer.unref();
  }

  async beat(): Promise<void> {
    try {
      await this.store.put(
        { ...this.describe(), startedAt: this.startedAt, lastSeen: new Date().toISOString() },
        this.ttlMs,
      );
    } catch (error) {
      this.logger.warn('instances: heartbeat failed', {
        errorMessage: error instanceof Error ? error.message : String(error),
      });
    }
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.store.remove(this.describe().instanceId).catch(() => undefined);
  }
}
