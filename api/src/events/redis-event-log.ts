import { randomUUID } from 'node:crypto';
import { Cluster, type Redis } from 'ioredis';
import { publicEventSchema, type PublicEvent } from '@strata/config';
import { luaScript, runLua, withRedisDeadline } from '@strata/registry/internals';
import type { Logger } from '@strata/registry';
import {
  replayWindow,
  type EventLog,
  type LoggedEvent,
  type LoggedEventListener,
  type ReplayResult,
} from './event-log';

/** Options of {@link RedisEventLog}. */
export interface RedisEventLogOptions {
  /** The instance's ioredis client (standalone or cluster), e.g. `strata.backend.redis`. */
  readonly client: Redis | Cluster;
  /** The stream's key (one key: one hash slot on a cluster). */
  readonly key: string;
  /** Approximate bound of the stream (`XADD MAXLEN ~`). @defaultValue 10000 */
  readonly maxLength?: number;
  /** Deadline of every call. @defaultValue 2000 */
  readonly timeoutMs?: number;
  /** How long one blocking read waits for new entries. @defaultValue 2000 */
  readonly blockMs?: number;
  readonly logger: Logger;
}

type StreamEntry = [id: string, fields: string[]];

/**
 * Idempotent XADD: returns the id of a recent entry (among the last ARGV[5]) carrying the same uid,
 * else appends one. A command that timed out on the client is still run by Redis when it answers
 * again (a paused server runs what it received): without this, each retry would add a copy.
 * KEYS[1] stream; ARGV: maxlen, field, value, uid, look-back.
 */
const APPEND_ONCE = luaScript(`
local recent = redis.call('XREVRANGE', KEYS[1], '+', '-', 'COUNT', tonumber(ARGV[5]))
for _, entry in ipairs(recent) do
  local fields = entry[2]
  for i = 1, #fields, 2 do
    if fields[i] == 'u' and fields[i + 1] == ARGV[4] then return entry[1] end
  end
end
return redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[1], '*', 'u', ARGV[4], ARGV[2], ARGV[3])
`);
/** How far back a retry looks for its first attempt: appends of other instances may come between. */
const APPEND_LOOK_BACK = 100;

/**
 * The event log on a Redis Stream shared by every instance: `XADD … MAXLEN ~ n` appends (ids are
 * the stream's), one blocking `XREAD` loop per instance (its own connection) tails it and hands each
 * entry to this instance's listeners, and `XRANGE` replays what a reconnecting client missed.
 */
export class RedisEventLog implements EventLog {
  private readonly listeners = new Set<LoggedEventListener>();
  private readonly maxLength: number;
  private readonly timeoutMs: number;
  private readonly blockMs: number;
  private reader: Redis | Cluster | undefined;
  private loop: Promise<void> | undefined;
  private closed = false;
  private wake: (() => void) | undefined;

  constructor(private readonly options: RedisEventLogOptions) {
    this.maxLength = options.maxLength ?? 10_000;
    this.timeoutMs = options.timeoutMs ?? 2_000;
    this.blockMs = options.blockMs ?? 2_000;
  }

  /** Starts tailing from the stream's current end. */
  async start(): Promise<void> {
    const cursor = (await this.lastId()) ?? '0-0';
    this.loop = this.tail(cursor);
  }

  append(event: PublicEvent, uid: string = randomUUID()): Promise<string> {
    return this.add('e', JSON.stringify(event), uid);
  }

  appendReset(reason: string, uid: string = randomUUID()): Promise<string> {
    return this.add('r', reason, uid);
  }

  /** One entry: `u` (its uid) and `e` (a public event, JSON) or `r` (a reset marker's reason). */
  private async add(field: 'e' | 'r', value: string, uid: string): Promise<string> {
    const { client, key } = this.options;
    const id = await withRedisDeadline('event log append', this.timeoutMs, () =>
      runLua(client, APPEND_ONCE, [key], [String(this.maxLength), field, value, uid, String(APPEND_LOOK_BACK)]),
    );
    if (typeof id !== 'string' || !id) throw new Error('the event log append returned no id');
    return id;
  }

  async replay(lastId: string): Promise<ReplayResult> {
    const { client, key } = this.options;
    const [first, last] = await withRedisDeadline('event log replay', this.timeoutMs, () =>
      Promise.all([client.xrange(key, '-', '+', 'COUNT', 1), client.xrevrange(key, '+', '-', 'COUNT', 1)]),
    );
    const window = replayWindow(lastId, first[0]?.[0], last[0]?.[0]);
    if (!window.ok) return { reset: true, reason: window.reason, latestId: last[0]?.[0] };
    const entries = await withRedisDeadline('event log replay', this.timeoutMs, () =>
      client.xrange(key, `(${lastId}`, '+', 'COUNT', this.maxLength * 2),
    );
    return { reset: false, events: entries.flatMap((entry) => this.decode(entry)) };
  }

  subscribe(listener: LoggedEventListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async close(): Promise<void> {
    this.closed = true;
    this.wake?.();
    this.reader?.disconnect();
    await this.loop;
    this.listeners.clear();
  }

  private async lastId(): Promise<string | undefined> {
    const { client, key } = this.options;
    const last = await withRedisDeadline('event log tail', this.timeoutMs, () =>
      client.xrevrange(key, '+', '-', 'COUNT', 1),
    );
    return last[0]?.[0];
  }

  /** A connection of its own for the blocking read (connected before use: offline queues are off). */
  private async newReader(): Promise<Redis | Cluster> {
    const { client } = this.options;
    const commandTimeout = this.blockMs + this.timeoutMs;
    const reader =
      client instanceof Cluster
        ? client.duplicate(undefined, {
            lazyConnect: true,
            redisOptions: { ...client.options.redisOptions, commandTimeout },
          })
        : client.duplicate({ commandTimeout, lazyConnect: true });
    reader.on('error', () => undefined); // failures surface on the blocked read, handled in tail()
    this.reader = reader;
    await withRedisDeadline('event log connect', this.timeoutMs, () => reader.connect());
    return reader;
  }

  private async tail(start: string): Promise<void> {
    let cursor = start;
    while (!this.closed) {
      try {
        const reader = this.reader ?? (await this.newReader());
        const reply: Array<[string, StreamEntry[]]> | null = await withRedisDeadline(
          'event log read',
          this.blockMs + this.timeoutMs,
          () => reader.xread('BLOCK', this.blockMs, 'STREAMS', this.options.key, cursor),
        );
        for (const [, entries] of reply ?? []) {
          for (const entry of entries) {
            cursor = entry[0];
            for (const logged of this.decode(entry)) this.dispatch(logged);
          }
        }
      } catch (error) {
        if (this.closed) return;
        this.options.logger.warn('events: reading the event stream failed; retrying', {
          errorMessage: error instanceof Error ? error.message : String(error),
        });
        this.reader?.disconnect();
        this.reader = undefined;
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, 500);
          this.wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
      }
    }
  }

  private dispatch(entry: LoggedEvent): void {
    for (const listener of this.listeners) {
      try {
        listener(entry);
      } catch (error) {
        this.options.logger.error('events: a listener failed', {
          errorMessage: error instanceof Error ? error.message : String(error),
        });
      }
    }
  }

  private decode([id, fields]: StreamEntry): LoggedEvent[] {
    const values = new Map<string, string>();
    for (let index = 0; index + 1 < fields.length; index += 2) values.set(fields[index]!, fields[index + 1]!);
    const reset = values.get('r');
    if (reset !== undefined) return [{ id, reset }];
    try {
      const parsed = publicEventSchema.safeParse(JSON.parse(values.get('e') ?? 'null'));
      return parsed.success ? [{ id, event: parsed.data }] : [];
    } catch {
      return [];
    }
  }
}
