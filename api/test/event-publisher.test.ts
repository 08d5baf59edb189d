import express from 'express';
import type { AddressInfo } from 'node:net';
import Redis from 'ioredis';
import type { PublicEvent } from '@strata/config';
import type { Logger } from '@strata/registry';
import { silentLogger } from '@strata/registry/internals';
import { RedisServerProcess } from '@strata/test-harness';
import {
  EventStreams,
  MemoryEventLog,
  publishEvents,
  RedisEventLog,
  type EventSource,
  type LoggedEvent,
} from '@strata/api';
import { SseClient } from './support/sse-client';

/**
 * The event log across a Redis outage, on a real redis-server paused with SIGSTOP: events this
 * instance causes during the outage reach the log — and every live stream — after it, in order;
 * an outage longer than the publisher's buffer leaves an explicit reset marker, never a silent gap.
 */

/** The instance's public events, as Strata's `subscribe` hands them out. */
class Events implements EventSource {
  readonly instanceId = 'me';
  private readonly listeners = new Set<(event: PublicEvent) => void>();
  subscribe(listener: (event: PublicEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
  emit(userId: string): void {
    for (const listener of this.listeners) listener({ type: 'user.loaded', userId, instance: this.instanceId });
  }
}

/** Resolves when `predicate` holds over what a listener has collected (checked on each arrival). */
function collect<T>(): {
  items: T[];
  push(item: T): void;
  until(predicate: (items: T[]) => boolean, ms: number): Promise<void>;
} {
  const items: T[] = [];
  const waiters = new Set<() => void>();
  return {
    items,
    push(item) {
      items.push(item);
      for (const waiter of [...waiters]) waiter();
    },
    until(predicate, ms) {
      if (predicate(items)) return Promise.resolve();
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`not within ${ms} ms; got ${JSON.stringify(items)}`));
        }, ms);
        const check = () => {
          if (!predicate(items)) return;
          clearTimeout(timer);
          waiters.delete(check);
          resolve();
        };
        waiters.add(check);
      });
    },
  };
}

const userOf = (entry: LoggedEvent): string =>
  entry.reset !== undefined ? `reset` : entry.event.type === 'user.loaded' ? entry.event.userId : entry.event.type;

describe('event publisher across a Redis outage (real redis-server)', () => {
  let redis: RedisServerProcess;
  let client: Redis;
  let log: RedisEventLog;
  let failures: ReturnType<typeof collect<string>>;
  let logger: Logger;

  beforeEach(async () => {
    redis = await RedisServerProcess.start();
    client = new Redis(redis.url, { maxRetriesPerRequest: 1, commandTimeout: 2_000 });
    failures = collect<string>();
    logger = { ...silentLogger, warn: (message: string) => failures.push(message) };
    log = new RedisEventLog({ client, key: 'strata:events', timeoutMs: 300, blockMs: 200, logger: silentLogger });
    await log.start();
  });

  afterEach(async () => {
    redis.resume();
    await log.close();
    client.disconnect();
    await redis.stop();
  });

  it("the first append on the instance's auto-pipelined client, queued with other commands, lands (no crash)", async () => {
    // Strata's command client auto-pipelines; the append's script once was an ioredis defineCommand
    // made on first use, missing from the pipeline already queued in that tick (a process crash).
    const pipelined = new Redis(redis.url, {
      enableAutoPipelining: true,
      maxRetriesPerRequest: 1,
      commandTimeout: 2_000,
    });
    const own = new RedisEventLog({
      client: pipelined,
      key: 'strata:events:p',
      timeoutMs: 2_000,
      logger: silentLogger,
    });
    try {
      await pipelined.ping();
      const [missing, id] = await Promise.all([
        pipelined.get('strata:unrelated'),
        own.append({ type: 'user.loaded', userId: 'first', instance: 'me' }),
      ]);
      expect(missing).toBeNull();
      expect(await pipelined.xrange('strata:events:p', '-', '+')).toEqual([[id, expect.arrayContaining(['e'])]]);
    } finally {
      await own.close();
      pipelined.disconnect();
    }
  });

  it('events caused during a pause reach the log and the live tail after it, in order, none lost', async () => {
    const seen = collect<LoggedEvent>();
    log.subscribe((entry) => seen.push(entry));
    const events = new Events();
    const publisher = publishEvents(events, log, logger, { retryDelayMs: 50, maxRetryDelayMs: 200 });
    events.emit('before');
    await seen.until((items) => items.length === 1, 5_000);
    redis.pause();
    events.emit('during-1');
    await failures.until((items) => items.length > 0, 5_000); // the append failed: the outage is real
    for (const userId of ['during-2', 'during-3', 'during-4']) events.emit(userId);
    expect(publisher.pending).toBe(4);
    redis.resume();
    await seen.until((items) => items.length === 5, 10_000);
    expect(seen.items.map(userOf)).toEqual(['before', 'during-1', 'during-2', 'during-3', 'during-4']);
    await publisher.close(); // resolves once nothing is pending (appends succeed again)
    expect(publisher.pending).toBe(0);
    expect(publisher.dropped).toBe(0);
    // A browser that saw only 'before' replays exactly what it missed.
    const replay = await log.replay(seen.items[0]!.id);
    expect(replay.reset ? [] : replay.events.map(userOf)).toEqual(['during-1', 'during-2', 'during-3', 'during-4']);
    await publisher.close();
  });

  it('an outage longer than the buffer: the oldest events give way to ONE reset marker, before the newest', async () => {
    const seen = collect<LoggedEvent>();
    log.subscribe((entry) => seen.push(entry));
    const events = new Events();
    const publisher = publishEvents(events, log, logger, { maxPending: 3, retryDelayMs: 50, maxRetryDelayMs: 200 });
    events.emit('before');
    await seen.until((items) => items.length === 1, 5_000);
    redis.pause();
    events.emit('lost-1');
    await failures.until((items) => items.length > 0, 5_000);
    for (const userId of ['lost-2', 'lost-3', 'kept-1', 'kept-2', 'kept-3']) events.emit(userId);
    expect(publisher.pending).toBe(3);
    expect(publisher.dropped).toBe(3);
    redis.resume();
    await seen.until((items) => items.filter((entry) => userOf(entry).startsWith('kept')).length === 3, 10_000);
    // 'lost-1' was already sent when Redis paused: Redis runs it on resume, once (its retries are
    // recognised by uid). 'lost-2' and 'lost-3' were dropped: the marker stands in their place.
    const order = seen.items.map(userOf);
    expect(order.filter((user) => user === 'lost-1').length).toBeLessThanOrEqual(1);
    expect(order.filter((user) => user !== 'lost-1')).toEqual(['before', 'reset', 'kept-1', 'kept-2', 'kept-3']);
    expect(seen.items.find((entry) => entry.reset !== undefined)).toMatchObject({
      reset: expect.stringContaining('3 events'),
    });
    const replay = await log.replay(seen.items[0]!.id);
    expect(replay.reset ? [] : replay.events.map(userOf).filter((user) => user !== 'lost-1')).toEqual([
      'reset',
      'kept-1',
      'kept-2',
      'kept-3',
    ]);
    await publisher.close();
  });

  it('close() during an outage returns within one append deadline, and what was sent lands once', async () => {
    const events = new Events();
    const publisher = publishEvents(events, log, logger, { retryDelayMs: 10_000, maxRetryDelayMs: 10_000 });
    redis.pause();
    events.emit('stuck');
    await failures.until((items) => items.length > 0, 5_000);
    await publisher.close(); // woken from its 10 s retry wait; one more try fails within 300 ms
    expect(publisher.pending).toBe(1);
    redis.resume();
    await client.ping(); // a barrier: Redis has run every command sent on this connection before it
    expect(await client.xlen('strata:events')).toBe(1);
  });
});

describe('a reset marker in the log reaches browsers as a `reset` event (SSE, live and replayed)', () => {
  it('is sent live with its id, and a replay across it sends it too', async () => {
    const log = new MemoryEventLog();
    const streams = new EventStreams({ log, logger: silentLogger, heartbeatMs: 60_000 });
    const app = express();
    app.get('/events', (req, res) => void streams.serve(req, res, { id: 'amy', role: 'user' }));
    const server = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/events`;
    try {
      const first = await log.append({ type: 'user.loaded', userId: 'amy', instance: 'me' });
      const live = await SseClient.open(url, 'unused', first);
      const markerId = await log.appendReset('2 events could not be logged');
      const reset = await live.next((event) => event.event === 'reset', 5_000, 'live reset');
      expect(reset).toMatchObject({ id: markerId, data: JSON.stringify({ reason: '2 events could not be logged' }) });
      await live.close();
      const replayed = await SseClient.open(url, 'unused', first);
      expect(await replayed.next((event) => event.event === 'reset', 5_000, 'replayed reset')).toMatchObject({
        id: markerId,
      });
      await replayed.close();
    } finally {
      streams.closeAll();
      server.closeAllConnections(); // fetch's idle keep-alive sockets would hold close() for seconds
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
