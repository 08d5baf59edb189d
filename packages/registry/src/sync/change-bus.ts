import { EventEmitter } from 'node:events';
import type { ChangeEvent } from './change-event';

export type ChangeListener = (event: ChangeEvent) => void;

/**
 * Carries change events to every registry instance. Redis pub/sub across processes; an
 * EventEmitter inside one process when there is no Redis.
 */
export interface ChangeBus {
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
  private readonly emitter = new EventEmitter();

  constructor() {
    this.emitter.setMaxListeners(0);
  }

  start(): Promise<void> {
    return Promise.resolve();
  }

  publish(event: ChangeEvent): Promise<void> {
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
