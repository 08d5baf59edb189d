import type { EventEmitter } from 'node:events';
import { RedisUnavailableError } from '../redis/redis-errors';
import type { CommandClient, KeyvClient } from './redis-clients';

/** Whether a backend can serve: `ready` is the conjunction of every client's state. */
export interface BackendHealth {
  readonly ready: boolean;
  /** Each connection by role (Redis: `commands`, `subscriber` — ioredis — and `keyv` — node-redis). */
  readonly clients: Readonly<Record<string, boolean>>;
}

export type HealthListener = (health: BackendHealth) => void;

/** What a backend says about its health (memory: always ready). */
export interface HealthSource {
  health(): BackendHealth;
  /** Called whenever `health()` changes; returns the function that removes the listener. */
  onHealthChange(listener: HealthListener): () => void;
  /** Resolves once every client is ready (at once when they are); `REDIS_UNAVAILABLE` after `timeoutMs`. */
  whenReady(timeoutMs: number): Promise<void>;
}

export const ALWAYS_HEALTHY: HealthSource = {
  health: () => ({ ready: true, clients: {} }),
  onHealthChange: () => () => undefined,
  whenReady: () => Promise.resolve(),
};

/** The events by which either client announces a change of connection state. */
const IOREDIS_EVENTS = ['ready', 'close', 'end', 'reconnecting'] as const;
const NODE_REDIS_EVENTS = ['ready', 'end', 'error', 'reconnecting', 'connect'] as const;
const NODE_REDIS_CLUSTER_EVENTS = ['node-ready', 'node-error', 'node-reconnecting', 'node-connect', 'node-disconnect'];

interface NodeClientLike extends EventEmitter {
  readonly isReady: boolean;
}

/**
 * Health of a Redis backend's three connections, from the clients' own events (never polled):
 * ioredis commands and subscriber (`status === 'ready'`), node-redis for Keyv (`isReady`; on a
 * cluster, every master's client). A node-redis cluster announces a node's first `ready` only, so
 * each master's client is watched directly as it appears.
 */
export class RedisBackendHealth implements HealthSource {
  private readonly listeners = new Set<HealthListener>();
  private readonly detach: Array<() => void> = [];
  private readonly watched = new WeakSet<object>();
  private last = '';

  constructor(private readonly clients: { commands: CommandClient; subscriber: CommandClient; keyv: KeyvClient }) {
    const recheck = (): void => this.recheck();
    for (const client of [clients.commands, clients.subscriber]) {
      for (const event of IOREDIS_EVENTS) this.listen(client, event, recheck);
    }
    const keyv = clients.keyv as unknown as EventEmitter;
    const events = 'masters' in clients.keyv ? NODE_REDIS_CLUSTER_EVENTS : NODE_REDIS_EVENTS;
    for (const event of events) this.listen(keyv, event, recheck);
    this.last = JSON.stringify(this.health());
  }

  health(): BackendHealth {
    const clients = {
      commands: this.clients.commands.status === 'ready',
      subscriber: this.clients.subscriber.status === 'ready',
      keyv: this.keyvReady(),
    };
    return { ready: clients.commands && clients.subscriber && clients.keyv, clients };
  }

  onHealthChange(listener: HealthListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  whenReady(timeoutMs: number): Promise<void> {
    if (this.health().ready) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        off();
        const down = Object.entries(this.health().clients).flatMap(([role, up]) => (up ? [] : [role]));
        reject(new RedisUnavailableError('ready', new Error(`not ready within ${timeoutMs} ms: ${down.join(', ')}`)));
      }, timeoutMs);
      const off = this.onHealthChange((health) => {
        if (!health.ready) return;
        clearTimeout(timer);
        off();
        resolve();
      });
    });
  }

  /** Removes every listener this object added to the clients. */
  close(): void {
    this.detach.splice(0).forEach((remove) => remove());
    this.listeners.clear();
  }

  private keyvReady(): boolean {
    const keyv = this.clients.keyv;
    if (!('masters' in keyv)) return keyv.isReady;
    const masters = (keyv as unknown as { masters: ReadonlyArray<{ client?: NodeClientLike }> }).masters;
    if (!keyv.isOpen || masters.length === 0) return false;
    return masters.every((master) => {
      if (master.client) this.watchNode(master.client);
      return master.client?.isReady === true;
    });
  }

  private watchNode(client: NodeClientLike): void {
    if (this.watched.has(client)) return;
    this.watched.add(client);
    const recheck = (): void => this.recheck();
    for (const event of NODE_REDIS_EVENTS) this.listen(client, event, recheck);
  }

  private listen(emitter: { on: EventEmitter['on']; off: EventEmitter['off'] }, event: string, fn: () => void): void {
    emitter.on(event, fn);
    this.detach.push(() => emitter.off(event, fn));
  }

  private recheck(): void {
    const health = this.health();
    const key = JSON.stringify(health);
    if (key === this.last) return;
    this.last = key;
    for (const listener of [...this.listeners]) listener(health);
  }
}
