import type { PublicEvent } from '@strata/config';
import type { Logger } from '@strata/registry';
import type { EventLog } from './event-log';

/** What the publisher needs of a Strata instance. */
export interface EventSource {
  readonly instanceId: string;
  subscribe(listener: (event: PublicEvent) => void): () => void;
}

/**
 * Writes each public event to the event log exactly once across instances: every instance sees
 * every bus event, and only the instance that caused it (`event.instance`) appends it. Appends run
 * one after another, so the log keeps this instance's order.
 */
export function publishEvents(source: EventSource, log: EventLog, logger: Logger): { close(): Promise<void> } {
  let chain = Promise.resolve();
  const off = source.subscribe((event) => {
    if (event.instance !== source.instanceId) return;
    chain = chain.then(
      () => log.append(event).then(() => undefined),
      () => undefined,
    );
    chain = chain.catch((error: unknown) => {
      logger.warn('events: appending to the event log failed; live streams miss this event', {
        eventType: event.type,
        errorMessage: error instanceof Error ? error.message : String(error),
      });
    });
  });
  return {
    async close() {
      off();
      await chain;
    },
  };
}
