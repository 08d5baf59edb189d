import type { Cluster, Redis } from 'ioredis';
import type { Keyv } from 'keyv';
import { withRedisDeadline } from '../redis/redis-errors';
import { StrataError } from '@strata/config';
import { encodeKeySegment, type KeyBuilder, type TierName } from '../keys/key-builder';
import { REPLY, replyCode, replyNumber } from '../redis/script-replies';
import { runScript } from '../redis/scripts';
import { checkedEvent, type ChangeEvent } from '../model/change-event';
import type { StoredServer } from '../model/stored-server';
import { newEpoch } from './tier-epoch';
import type { PutResult, ReplaceOptions, ReplaceResult, TierMeta, TierSnapshot, TierStore } from './tier-store';

export interface RedisTierStoreDeps {
  /** ioredis client (standalone or cluster) for scripts. */
  readonly client: Redis | Cluster;
  /** Keyv on `@keyv/redis` whose namespace is `keys.tierNamespace(tier)`; values are read through it. */
  readonly keyv: Keyv<StoredServer>;
  readonly keys: KeyBuilder;
  /** Change-bus channel the write scripts publish on. */
  readonly channel: string;
  /** Deadline of every Redis call. */
  readonly timeoutMs: number;
}

/**
 * A tier in Redis: values at Keyv's keys (`<namespace>::<encoded name>`), serialized by Keyv's
 * serializer in JS and written by Lua together with the tier index and the change event, so a
 * write, its index entry and its announcement are one atomic step. Every key carries the tier's
 * hash tag: one slot per tier, one round trip per snapshot, on a cluster too.
 */
export class RedisTierStore implements TierStore {
  private readonly indexKey: string;
  private readonly valuePrefix: string;

  constructor(
    readonly tier: TierName,
    private readonly deps: RedisTierStoreDeps,
  ) {
    this.indexKey = deps.keys.tierIndexKey(tier);
    this.valuePrefix = `${deps.keys.tierNamespace(tier)}::`;
  }

  get(name: string): Promise<StoredServer | undefined> {
    const entry = this.deps.keys.tierEntry(name);
    return withRedisDeadline(`get ${this.tier} server`, this.deps.timeoutMs, () => this.deps.keyv.get(entry));
  }

  async meta(): Promise<TierMeta> {
    const [tierVersion, contentHash, epoch] = await withRedisDeadline(
      `read ${this.tier} tier meta`,
      this.deps.timeoutMs,
      () => this.deps.client.hmget(this.indexKey, '#tier', '#hash', '#epoch'),
    );
    return { tierVersion: Number(tierVersion ?? 0), contentHash: contentHash ?? undefined, epoch: epoch ?? '' };
  }

  async snapshot(known?: { readonly tierVersion: number; readonly epoch: string }): Promise<TierSnapshot> {
    const reply = await withRedisDeadline(`read ${this.tier} tier`, this.deps.timeoutMs, () =>
      runScript(
        this.deps.client,
        'readTier',
        [this.indexKey],
        [known === undefined ? '' : String(known.tierVersion), this.valuePrefix, known?.epoch ?? ''],
      ),
    );
    const tierVersion = replyNumber(reply, 0);
    const epoch = String(reply[1] ?? '');
    if (reply.length === 2) return { tierVersion, epoch, servers: undefined };
    const values = (reply[3] ?? []) as Array<string | null>;
    const servers: StoredServer[] = [];
    for (const raw of values) {
      if (raw === null || raw === undefined) continue;
      const decoded = await this.deserialize(raw);
      if (decoded) servers.push(decoded);
    }
    return { tierVersion, epoch, servers };
  }

  async put(server: StoredServer, event?: ChangeEvent): Promise<PutResult> {
    const value = await this.serialize(server);
    const reply = await withRedisDeadline(`write ${this.tier} server`, this.deps.timeoutMs, () =>
      runScript(
        this.deps.client,
        'putServer',
        [this.deps.keys.tierValueKey(this.tier, server.name), this.indexKey],
        [
          server.name,
          encodeKeySegment(server.name),
          String(server.version),
          value,
          event ? this.deps.channel : '',
          event ? JSON.stringify(checkedEvent(event)) : '',
        ],
      ),
    );
    return replyCode(reply) === REPLY.putServer.WRITTEN
      ? { written: true, tierVersion: replyNumber(reply, 1) }
      : { written: false, tierVersion: 0, storedVersion: replyNumber(reply, 1) };
  }

  async remove(name: string, event?: ChangeEvent): Promise<boolean> {
    const reply = await withRedisDeadline(`remove ${this.tier} server`, this.deps.timeoutMs, () =>
      runScript(
        this.deps.client,
        'removeServer',
        [this.deps.keys.tierValueKey(this.tier, name), this.indexKey],
        [name, event ? this.deps.channel : '', event ? JSON.stringify(checkedEvent(event)) : ''],
      ),
    );
    return replyCode(reply) === REPLY.removeServer.REMOVED;
  }

  async replaceAll(servers: readonly StoredServer[], options: ReplaceOptions = {}): Promise<ReplaceResult> {
    const args: string[] = [
      options.expectedTierVersion === undefined ? '' : String(options.expectedTierVersion),
      this.valuePrefix,
      options.event ? this.deps.channel : '',
      options.event ? JSON.stringify(checkedEvent(options.event)) : '',
      options.contentHash ?? '',
      newEpoch(),
    ];
    for (const server of servers) {
      args.push(
        server.name,
        this.deps.keys.tierEntry(server.name),
        String(server.version),
        await this.serialize(server),
      );
    }
    const reply = await withRedisDeadline(`replace ${this.tier} tier`, this.deps.timeoutMs, () =>
      runScript(this.deps.client, 'replaceTier', [this.indexKey], args),
    );
    return { replaced: replyCode(reply) === REPLY.replaceTier.REPLACED, tierVersion: replyNumber(reply, 1) };
  }

  private async serialize(server: StoredServer): Promise<string> {
    const serialize = this.deps.keyv.serialize;
    if (!serialize) throw new StrataError('INVALID_OPTIONS', 'the tier Keyv must have a serializer');
    return serialize({ value: server, expires: undefined });
  }

  private async deserialize(raw: string): Promise<StoredServer | undefined> {
    const deserialize = this.deps.keyv.deserialize;
    if (!deserialize) throw new StrataError('INVALID_OPTIONS', 'the tier Keyv must have a deserializer');
    const data = await deserialize<StoredServer>(raw);
    return data?.value;
  }
}
