import type { PublicEvent } from '@strata/config';

/**
 * One entry as the log holds it: a stream id (`<ms>-<seq>`, ordered) and either a public event or
 * a reset marker — events were lost at that point (an outage outlasted the publisher's buffer), so
 * a reader passing it must refetch everything: it is sent to browsers as a `reset` event.
 */
export type LoggedEvent =
  | { readonly id: string; readonly event: PublicEvent; readonly reset?: undefined }
  | { readonly id: string; readonly reset: string; readonly event?: undefined };

/** What a reconnecting client missed: the events after its id, or `reset` when some may be gone. */
export type ReplayResult =
  | { readonly reset: false; readonly events: readonly LoggedEvent[] }
  | { readonly reset: true; readonly reason: string; readonly latestId: string | undefined };

export type LoggedEventListener = (entry: LoggedEvent) => void;

/**
 * The ordered, bounded log behind `GET /api/events`: one entry per public event (written by the
 * instance that caused it), read by every instance, replayable from an id. Redis Stream when
 * Redis is configured (every instance shares the ids), an in-process ring buffer otherwise.
 */
export interface EventLog {
  /**
   * Appends `event`; with `uid`, idempotently: a retry with the same uid after a failed or
   * timed-out attempt (which the log may still have applied) returns the first entry's id instead
   * of appending a copy.
   */
  append(event: PublicEvent, uid?: string): Promise<string>;
  /** Appends a reset marker (`reason` says why, never a secret): readers passing it refetch. */
  appendReset(reason: string, uid?: string): Promise<string>;
  /** The entries after `lastId`; `reset` when `lastId` is older than retention, unknown or malformed. */
  replay(lastId: string): Promise<ReplayResult>;
  /** Calls `listener` with every entry appended from now on (by any instance). */
  subscribe(listener: LoggedEventListener): () => void;
  close(): Promise<void>;
}

/** Stream ids `<ms>-<seq>` as two numbers; undefined when malformed. */
export function parseStreamId(id: string): readonly [bigint, bigint] | undefined {
  const match = /^(\d{1,20})-(\d{1,20})$/.exec(id);
  return match?.[1] && match[2] ? [BigInt(match[1]), BigInt(match[2])] : undefined;
}

/** Negative, zero or positive as `a` is before, equal to or after `b` (both well-formed). */
export function compareStreamIds(a: string, b: string): number {
  const [am, as] = parseStreamId(a) ?? [0n, 0n];
  const [bm, bs] = parseStreamId(b) ?? [0n, 0n];
  if (am !== bm) return am < bm ? -1 : 1;
  return as === bs ? 0 : as < bs ? -1 : 1;
}

/**
 * The rule both logs share: a client's id is good when it lies within what the log still holds
 * (at or after its first entry, at or before its last). Older than the first entry means entries
 * may have been trimmed in between — a `reset`, never a silent gap.
 */
export function replayWindow(
  lastId: string,
  first: string | undefined,
  last: string | undefined,
): { ok: true } | { ok: false; reason: string } {
  if (!parseStreamId(lastId)) return { ok: false, reason: 'malformed event id' };
  if (first === undefined || last === undefined) return { ok: false, reason: 'the event log holds nothing' };
  if (compareStreamIds(lastId, first) < 0) return { ok: false, reason: 'the event id is older than retention' };
  if (compareStreamIds(lastId, last) > 0) return { ok: false, reason: 'the event id is unknown to this log' };
  return { ok: true };
}

/** Options of {@link MemoryEventLog}. */
export interface MemoryEventLogOptions {
  /** Entries kept. @defaultValue 10000 */
  readonly maxLength?: number;
  readonly now?: () => number;
}

/** The event log in one process: a ring buffer with stream-like ids. */
export class MemoryEventLog implements EventLog {
  private readonly entries: LoggedEvent[] = [];
  private readonly listeners = new Set<LoggedEventListener>();
  private readonly maxLength: number;
  private readonly now: () => number;
  private lastMs = 0;
  private seq = 0;

  constructor(options: MemoryEventLogOptions = {}) {
    this.maxLength = options.maxLength ?? 10_000;
    this.now = options.now ?? Date.now;
  }

  append(event: PublicEvent): Promise<string> {
    return Promise.resolve(this.push({ id: this.nextId(), event }));
  }

  appendReset(reason: string): Promise<string> {
    return Promise.resolve(this.push({ id: this.nextId(), reset: reason }));
  }

  private nextId(): string {
    const ms = Math.max(this.now(), this.lastMs);
    this.seq = ms === this.lastMs ? this.seq + 1 : 0;
    this.lastMs = ms;
    return `${ms}-${this.seq}`;
  }

  private push(entry: LoggedEvent): string {
    this.entries.push(entry);
    if (this.entries.length > this.maxLength) this.entries.splice(0, this.entries.length - this.maxLength);
    for (const listener of this.listeners) listener(entry);
    return entry.id;
  }

  replay(lastId: string): Promise<ReplayResult> {
    const window = replayWindow(lastId, this.entries[0]?.id, this.entries.at(-1)?.id);
    if (!window.ok) return Promise.resolve({ reset: true, reason: window.reason, latestId: this.entries.at(-1)?.id });
    return Promise.resolve({
      reset: false,
      events: this.entries.filter((entry) => compareStreamIds(entry.id, lastId) > 0),
    });
  }

  subscribe(listener: LoggedEventListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  close(): Promise<void> {
    this.listeners.clear();
    return Promise.resolve();
  }
}
