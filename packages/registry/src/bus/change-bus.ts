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

/**
 * In-process bus: share one instance between registries of the same process. Listeners are a set,
 * not an EventEmitter's list: every component of every instance on the bus subscribes (five per
 * instance), which an emitter reports as a leak past ten (MaxListenersExceededWarning) — a limit
 * this bus has no use for, rather than one to raise. A listener that throws does not stop the others.
 */
export class MemoryChangeBus implements ChangeBus {
  readonly stats: BusStats = { received: 0, malformed: 0, reconnects: 0 };
  private readonly listeners = new Set<ChangeListener>();

  constructor(private readonly onListenerError: (error: unknown) => void = () => undefined) {}

  start(): Promise<void> {
    return Promise.resolve();
  }

  publish(event: ChangeEvent): Promise<void> {
    this.stats.received += 1;
    for (const listener of [...this.listeners]) {
      try {
        listener(event);
      } catch (error) {
        this.onListenerError(error);
      }
    }
    return Promise.resolve();
  }

  subscribe(listener: ChangeListener): () => void {
    // A wrapper per subscription: subscribing one function twice gives two deliveries and two removers.
    const entry: ChangeListener = (event) => listener(event);
    this.listeners.add(entry);
    return () => this.listeners.delete(entry);
  }

  close(): Promise<void> {
    this.listeners.clear();
    return Promise.resolve();
  }
}
