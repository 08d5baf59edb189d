import { publicEventSchema, type PublicEvent } from '@strata/config';

/** One entry of the live event log. */
export interface LogEntry {
  readonly id: string;
  readonly event: PublicEvent;
  /** Received in a replay (after a reconnect with Last-Event-ID) rather than live. */
  readonly replayed: boolean;
}

export type StreamStatus = 'connecting' | 'open' | 'reconnecting';

/** What the page knows about its event stream: pure data, changed only by {@link eventReducer}. */
export interface EventState {
  readonly status: StreamStatus;
  /** The id of the last event applied: sent as Last-Event-ID on reconnect. */
  readonly lastEventId: string | undefined;
  /** Newest first, at most {@link LOG_LIMIT}. */
  readonly log: readonly LogEntry[];
  /** Connection states by `name` for the signed-in user's scopes (`user`/`app`), newest wins. */
  readonly connections: Readonly<Record<string, string>>;
  /** Bumped on every change that makes the server list stale: the page refetches when it moves. */
  readonly serversGeneration: number;
  /** Bumped per server whose tool list changed. */
  readonly toolsGeneration: Readonly<Record<string, number>>;
  /** Bumped on `reset`: everything is refetched. */
  readonly resets: number;
  /** Times the stream was (re)opened after the first. */
  readonly reconnects: number;
  /** Events applied since the last reconnect that were replayed (the gap the page missed). */
  readonly replayedSinceReconnect: number;
  readonly malformed: number;
  /** When the stream last (re)opened: an event whose id is older arrived by replay. */
  readonly openedAt: number | undefined;
}

export const LOG_LIMIT = 200;

export type EventAction =
  /** The stream (re)opened at `at` (ms since the epoch). */
  | { readonly type: 'opened'; readonly at: number }
  | { readonly type: 'dropped' }
  | { readonly type: 'message'; readonly id: string | undefined; readonly event: string; readonly data: string }
  | { readonly type: 'signed-in'; readonly userId: string; readonly admin: boolean };

export function initialEventState(): EventState {
  return {
    status: 'connecting',
    lastEventId: undefined,
    log: [],
    connections: {},
    serversGeneration: 0,
    toolsGeneration: {},
    resets: 0,
    reconnects: 0,
    replayedSinceReconnect: 0,
    malformed: 0,
    openedAt: undefined,
  };
}

/** Redis stream ids `ms-seq`: numeric order. Malformed ids sort first (never skip an event for them). */
export function compareStreamIds(a: string, b: string): number {
  const [am, as] = a.split('-').map((part) => BigInt(/^\d+$/.test(part) ? part : '0'));
  const [bm, bs] = b.split('-').map((part) => BigInt(/^\d+$/.test(part) ? part : '0'));
  const ms = (am ?? 0n) - (bm ?? 0n);
  if (ms !== 0n) return ms < 0n ? -1 : 1;
  const seq = (as ?? 0n) - (bs ?? 0n);
  return seq === 0n ? 0 : seq < 0n ? -1 : 1;
}

/** The milliseconds part of a stream id (when the event was appended). */
export function idTime(id: string): number {
  const ms = Number(id.split('-')[0]);
  return Number.isFinite(ms) ? ms : 0;
}

/** Whether an event makes the user's server list stale. */
function touchesServers(event: PublicEvent, userId: string | undefined): boolean {
  switch (event.type) {
    case 'server.changed':
    case 'tier.replaced':
      return true;
    case 'access.changed':
      return userId === undefined || event.userIds.includes(userId);
    case 'user.loaded':
      return event.userId === userId;
    default:
      return false;
  }
}

/**
 * The event-stream reducer, a pure function of (state, action) for a given user: applies each event
 * once (an id at or before `lastEventId` is a duplicate and ignored), records it in the log, and
 * says what became stale. `reset` (the server lost our place) bumps `resets` so everything refetches.
 */
export function eventReducer(state: EventState, action: EventAction, userId?: string): EventState {
  switch (action.type) {
    case 'signed-in':
      return initialEventState();
    case 'opened':
      return {
        ...state,
        status: 'open',
        openedAt: action.at,
        reconnects: state.status === 'reconnecting' ? state.reconnects + 1 : state.reconnects,
        replayedSinceReconnect: state.status === 'reconnecting' ? 0 : state.replayedSinceReconnect,
      };
    case 'dropped':
      return { ...state, status: 'reconnecting' };
    case 'message': {
      if (action.id !== undefined && state.lastEventId !== undefined && action.event !== 'reset') {
        if (compareStreamIds(action.id, state.lastEventId) <= 0) return state;
      }
      const lastEventId = action.id ?? state.lastEventId;
      if (action.event === 'reset') {
        return {
          ...state,
          lastEventId,
          resets: state.resets + 1,
          serversGeneration: state.serversGeneration + 1,
          connections: {},
        };
      }
      let parsed: PublicEvent;
      try {
        const result = publicEventSchema.safeParse(JSON.parse(action.data));
        if (!result.success) return { ...state, lastEventId, malformed: state.malformed + 1 };
        parsed = result.data;
      } catch {
        return { ...state, lastEventId, malformed: state.malformed + 1 };
      }
      const replayed =
        state.reconnects > 0 &&
        action.id !== undefined &&
        state.openedAt !== undefined &&
        idTime(action.id) < state.openedAt;
      const entry: LogEntry = { id: action.id ?? `local-${state.log.length}`, event: parsed, replayed };
      const next: EventState = {
        ...state,
        lastEventId,
        log: [entry, ...state.log].slice(0, LOG_LIMIT),
        replayedSinceReconnect: state.replayedSinceReconnect + (replayed ? 1 : 0),
        serversGeneration: touchesServers(parsed, userId) ? state.serversGeneration + 1 : state.serversGeneration,
      };
      if (parsed.type === 'tools.changed') {
        return {
          ...next,
          toolsGeneration: { ...state.toolsGeneration, [parsed.name]: (state.toolsGeneration[parsed.name] ?? 0) + 1 },
        };
      }
      if (parsed.type === 'connection.state') {
        const scope = parsed.scope;
        const mine = scope.kind === 'app' || (scope.kind === 'user' && scope.userId === userId);
        if (!mine) return next;
        return { ...next, connections: { ...state.connections, [parsed.name]: parsed.state } };
      }
      return next;
    }
  }
}
