import { publicEventSchema, type PublicEvent } from '@strata/config';
import type { ChangeBus } from '../bus/change-bus';
import type { ConnectionManager, ConnectionStateChange } from '../connections/connection-manager';
import type { ChangeEvent } from '../model/change-event';
import { describeError, type Logger } from '../runtime/logger';

export type PublicEventListener = (event: PublicEvent) => void;

/**
 * The outside world's view of a bus event: names, tiers, versions, what changed and which users
 * are affected — never a config, an env value, a header or a cached entry. Undefined for events
 * that mean nothing outside (none today; the switch is exhaustive so a new event type must choose).
 */
export function projectChangeEvent(event: ChangeEvent): PublicEvent | undefined {
  const instance = event.origin;
  switch (event.type) {
    case 'server.put':
    case 'server.removed':
      return {
        type: 'server.changed',
        tier: event.tier,
        name: event.name,
        version: event.version,
        change: event.type === 'server.put' ? 'put' : 'removed',
        instance,
      };
    case 'tier.replaced':
      return { type: 'tier.replaced', tier: event.tier, version: event.version, instance };
    case 'users.invalidated':
      return { type: 'access.changed', userIds: [...event.userIds], instance };
    case 'user.loaded':
      return { type: 'user.loaded', userId: event.userId, instance };
    case 'user.load-failed':
      return { type: 'user.load-failed', userId: event.userId, reason: event.reason, instance };
    case 'tools.changed':
      return { type: 'tools.changed', name: event.name, version: event.version, instance };
    case 'user.unlocked':
      return undefined; // internal: wakes another instance's waiters, means nothing outside
  }
}

/** A connection state change as the outside world sees it (this instance's connections). */
export function projectConnectionChange(change: ConnectionStateChange, instance: string): PublicEvent {
  const { state } = change;
  return {
    type: 'connection.state',
    name: change.name,
    scope: change.scope,
    state: state.state,
    ...(state.state === 'reconnecting' ? { attempt: state.attempt } : {}),
    ...(state.state === 'error' ? { reason: state.reason } : {}),
    instance,
  };
}

/**
 * One subscription point for everything the outside world may see: every instance's bus events
 * (projected) and this instance's connection state changes. Each event is checked against the
 * strict public schema before it leaves, so a field added by mistake is dropped, never leaked.
 */
export class EventFeed {
  private readonly listeners = new Set<PublicEventListener>();
  private readonly detach: Array<() => void>;

  constructor(
    bus: ChangeBus,
    connections: ConnectionManager,
    private readonly instanceId: string,
    private readonly logger: Logger,
  ) {
    this.detach = [
      bus.subscribe((event) => this.emit(projectChangeEvent(event))),
      connections.onStateChange((change) => this.emit(projectConnectionChange(change, this.instanceId))),
    ];
  }

  /** Calls `listener` with every public event; returns the function that removes it. */
  subscribe(listener: PublicEventListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  close(): void {
    this.detach.forEach((off) => off());
    this.listeners.clear();
  }

  private emit(event: PublicEvent | undefined): void {
    if (!event || this.listeners.size === 0) return;
    const checked = publicEventSchema.safeParse(event);
    if (!checked.success) {
      this.logger.error('event feed: dropped an event that failed the public schema', { type: event.type });
      return;
    }
    for (const listener of this.listeners) {
      try {
        listener(checked.data);
      } catch (error) {
        this.logger.error('event feed: a listener failed', describeError(error));
      }
    }
  }
}
