import { randomUUID } from 'node:crypto';
import type { PublicEvent } from '@strata/config';
import type { Logger } from '@strata/registry';
import type { EventLog } from './event-log';

/** What the publisher needs of a Strata instance. */
export interface EventSource {
  readonly instanceId: string;
  subscribe(listener: (event: PublicEvent) => void): () => void;
}

/** Options of {@link publishEvents}. */
export interface PublishEventsOptions {
  /**
   * Events held while the log cannot be written (a Redis outage), oldest dropped first; a drop is
   * recorded in the log as a reset marker once it can be written again. @defaultValue 1000
   */
  readonly maxPending?: number;
  /** First retry delay after a failed append, doubled up to `maxRetryDelayMs`. @defaultValue 250 */
  readonly retryDelayMs?: number;
  /** @defaultValue 4000 */
  readonly maxRetryDelayMs?: number;
}

/** What {@link publishEvents} returns. */
export interface EventPublisher {
  /** Events waiting to be appended (nonzero during an outage). */
  readonly pending: number;
  /** Events dropped since start because the buffer was full (each drop became a reset marker). */
  readonly dropped: number;
  /**
   * Stops taking events and appends what is pending while appends succeed; after the first failure
   * (or none pending) it resolves: it never waits out an outage.
   */
  close(): Promise<void>;
}

/**
 * Writes each public event to the event log exactly once across instances: every instance sees
 * every bus event, and only the instance that caused it (`event.instance`) appends it.
 *
 * Appends run one at a time in event order. One that fails (Redis paused or down) is retried with
 * backoff, and the events behind it wait in a bounded buffer: after an outage they reach the log —
 * and every live stream — late but in order, none lost. When the outage outlasts the buffer, the
 * oldest waiting events are dropped and a **reset marker** is appended in their place before the
 * rest, so every browser reading past that point refetches: a gap is never silent. The bound
 * (docs/api.md): an event is in the log within the outage plus one retry delay (≤ maxRetryDelayMs)
 * plus one append; an instance killed during an outage loses its pending events (its browsers'
 * next refetch — reconnect with a reset, page load — shows the state).
 */
export function publishEvents(
  source: EventSource,
  log: EventLog,
  logger: Logger,
  options: PublishEventsOptions = {},
): EventPublisher {
  const maxPending = options.maxPending ?? 1_000;
  const firstDelay = options.retryDelayMs ?? 250;
  const maxDelay = options.maxRetryDelayMs ?? 4_000;
  /** Each with the uid that makes its retries idempotent. */
  const pending: Array<{ readonly event: PublicEvent; readonly uid: string }> = [];
  let lostSinceMarker = 0;
  let markerUid = randomUUID();
  let dropped = 0;
  let closed = false;
  let draining: Promise<void> | undefined;
  let wake: (() => void) | undefined;

  const drain = async (): Promise<void> => {
    let delay = firstDelay;
    let failing = false;
    while (pending.length > 0 || lostSinceMarker > 0) {
      try {
        if (lostSinceMarker > 0) {
          const lost = lostSinceMarker;
          await log.appendReset(`${lost} events could not be logged while the event log was unavailable`, markerUid);
          lostSinceMarker -= lost;
          markerUid = randomUUID();
        } else {
          const item = pending[0];
          if (item === undefined) break;
          await log.append(item.event, item.uid);
          if (pending[0] === item) pending.shift(); // (a drop may have shifted it meanwhile)
        }
        if (failing) logger.info('events: the event log is writable again', { pending: pending.length });
        failing = false;
        delay = firstDelay;
      } catch (error) {
        if (closed) break; // shutting down: what is still pending is lost (documented)
        if (!failing) {
          logger.warn('events: appending to the event log failed; holding events and retrying', {
            pending: pending.length,
            errorMessage: error instanceof Error ? error.message : String(error),
          });
        }
        failing = true;
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, delay);
          wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        wake = undefined;
        delay = Math.min(delay * 2, maxDelay);
      }
    }
  };

  const off = source.subscribe((event) => {
    if (closed || event.instance !== source.instanceId) return;
    pending.push({ event, uid: randomUUID() });
    if (pending.length > maxPending) {
      pending.shift();
      lostSinceMarker += 1;
      dropped += 1;
    }
    draining ??= drain().finally(() => (draining = undefined));
  });

  return {
    get pending() {
      return pending.length;
    },
    get dropped() {
      return dropped;
    },
    async close() {
      off();
      closed = true;
      wake?.();
      await draining;
    },
  };
}
