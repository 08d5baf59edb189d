import { EventEmitter } from 'node:events';
import type { ChangeEvent } from '../model/change-event';

export type ChangeListener = (event: ChangeEvent) => void;

/** Counters of a bus (counted, never guessed). */
export interface BusStats {
  /** Events received (and delivered to listeners). */
  received: number;
  /** Messages dropped because they were not well-formed events. */
  malformed: number;
  /** Times the subscriber connection came back after a loss (each may have lost messages). */
  reconnects: number;
}

/**
 * Carries change events to every registry instance. Redis pub/sub across processes; an
 * EventEmitter inside one process when there is no Redis.
 */
export interface ChangeBus {
  readonly stats: BusStats;
  /** Starts receiving (subscribes). Resolves once subscribed, so no later publish is missed. */
  start(): Promise<void>;
  /** Publishes an event to every instance, this one included. */
  publish(event: ChangeEvent): Promise<void>;
  /** Adds a listener; returns the function that removes it. */
  subscribe(listener: ChangeListener): () => void;
  close(): Promise<void>;
}

/** In-process bus: share one instance between registries of the same process. */
export class MemoryChangeBus implements ChangeBus {
  readonly stats: BusStats = { received: 0, malformed: 0, reconnects: 0 };
  private readonly emitter = new EventEmitter();

  constructor() {
    this.emitter.setMaxListeners(0);
  }

  start(): Promise<void> {
    return Promise.resolve();
  }

  publish(event: ChangeEvent): Promise<void> {
    this.stats.received += 1;
    this.emitter.emit('event', event);
    return Promise.resolve();
  }

  subscribe(listener: ChangeListener): () => void {
    this.emitter.on('event', listener);
    return () => this.emitter.off('event', listener);
  }

  close(): Promise<void> {
    this.emitter.removeAllListeners();
    return Promise.resolve();
  }
}
