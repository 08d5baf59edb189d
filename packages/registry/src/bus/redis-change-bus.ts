import type { Cluster, Redis } from 'ioredis';
import { withRedisDeadline } from '../redis/redis-errors';
import { closeClient } from '../redis/close-client';
import { describeError, type Logger } from '../runtime/logger';
import type { BusStats, ChangeBus, ChangeListener } from './change-bus';
import { parseChangeEvent, type ChangeEvent } from '../model/change-event';

/** Redis pub/sub bus. Owns its subscriber connection (a duplicate of the command client). */
export class RedisChangeBus implements ChangeBus {
  readonly stats: BusStats = { received: 0, malformed: 0, reconnects: 0 };
  private readonly listeners = new Set<ChangeListener>();
  private readonly subscriber: Redis | Cluster;
  private started = false;

  constructor(
    private readonly client: Redis | Cluster,
    private readonly channel: string,
    private readonly timeoutMs: number,
    private readonly logger: Logger,
  ) {
    this.subscriber = client.duplicate();
    this.subscriber.on('error', (error: unknown) =>
      this.logger.warn('change bus subscriber error', describeError(error)),
    );
    this.subscriber.on('message', (channel: string, message: string) => this.onMessage(channel, message));
    // ioredis re-subscribes by itself after a reconnect; count each return after the first.
    this.subscriber.on('ready', () => {
      if (this.started) this.stats.reconnects += 1;
    });
  }

  /** The subscriber connection: tests kill it to show the near cache's staleness bound. */
  get subscriberConnection(): Redis | Cluster {
    return this.subscriber;
  }

  async start(): Promise<void> {
    if (this.started) return;
    await withRedisDeadline('subscribe', this.timeoutMs, async () => {
      if (this.subscriber.status === 'wait') await this.subscriber.connect();
      await this.subscriber.subscribe(this.channel);
    });
    this.started = true;
  }

  async publish(event: ChangeEvent): Promise<void> {
    await withRedisDeadline('publish', this.timeoutMs, () => this.client.publish(this.channel, JSON.stringify(event)));
  }

  subscribe(listener: ChangeListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async close(): Promise<void> {
    this.listeners.clear();
    this.subscriber.removeAllListeners('message');
    await closeClient(this.subscriber, this.timeoutMs);
  }

  private onMessage(channel: string, message: string): void {
    if (channel !== this.channel) return;
    const event = parseChangeEvent(message);
    if (!event) {
      this.stats.malformed += 1;
      this.logger.warn('change bus: dropped a malformed message', { channel });
      return;
    }
    this.stats.received += 1;
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch (error) {
        this.logger.error('change bus listener failed', describeError(error));
      }
    }
  }
}
