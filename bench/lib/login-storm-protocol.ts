import { performance } from 'node:perf_hooks';

/**
 * The line protocol between the login-storm parent (`bench/lib/login-storm.ts`) and its children
 * (`bench/fixtures/login-storm-child.ts`). The parent passes a {@link StormChildPlan} as the child's
 * only argument; the child connects, warms up and writes {@link READY_LINE}. Then, once per round,
 * the parent writes `go <round> <epochMs>`; the child starts every login of the round at that moment
 * and writes {@link RESULT_PREFIX} + JSON. When stdin ends, the child closes and exits.
 * A start time rather than a bare "go": the children wake on their own timers instead of one after
 * the other as the parent writes to their pipes.
 */
export const READY_LINE = 'ready';
export const RESULT_PREFIX = 'result ';
const GO_WORD = 'go';

/** What one child does. */
export interface StormChildPlan {
  readonly url: string;
  readonly keyPrefix: string;
  readonly index: number;
  /** One user per login of a round, all started at once (the same user appears several times). */
  readonly logins: readonly string[];
  /** How long the simulated database read of the loader takes. */
  readonly loaderDelayMs: number;
  /** Deadline of every Redis call of the child's backend. */
  readonly timeoutMs: number;
}

/** What one child measured in one round; times are {@link epochMs} (one clock for the whole host). */
export interface StormChildResult {
  readonly index: number;
  readonly round: number;
  /** When this child started the round's logins. */
  readonly goAt: number;
  /** When its last login settled. */
  readonly doneAt: number;
  /** CPU time (user + system) of this process from its start to its last login, in ms. */
  readonly cpuMs: number;
  /** Loader calls of the round. */
  readonly loaderCalls: number;
  /** Messages of the logins that failed. */
  readonly failures: readonly string[];
  /** Every login's `ensureLoaded` latency, from its call to its resolution, in ms. */
  readonly latenciesMs: readonly number[];
  /** User → when this child's fenced commit of that user resolved. */
  readonly commitAt: Readonly<Record<string, number>>;
  /** User → when this child's first `ensureLoaded(user)` resolved. */
  readonly resolvedAt: Readonly<Record<string, number>>;
  /** User → when this process received that user's `user.loaded` on the bus (first one). */
  readonly loadedEventAt: Readonly<Record<string, number>>;
  /** Users whose load lock this child found held by another process (it waited for the "loaded" publish). */
  readonly waited: readonly string[];
}

/** Milliseconds since the epoch at sub-ms resolution, comparable across processes on one machine. */
export function epochMs(): number {
  return performance.timeOrigin + performance.now();
}

/** The user a login of the plan is in `round`: every round loads users nobody has loaded yet. */
export function roundUserId(userId: string, round: number): string {
  return `r${round}-${userId}`;
}

/** "Start round `round` at `startAt` ({@link epochMs})". */
export function goLine(round: number, startAt: number): string {
  return `${GO_WORD} ${round} ${startAt.toFixed(3)}`;
}

/** The round and start time of a "go" line, or undefined for any other line. */
export function parseGoLine(line: string): { round: number; startAt: number } | undefined {
  const [word, round, startAt] = line
    .trim()
    .split(/\s+/)
    .map((part, i) => (i === 0 ? part : Number(part)));
  if (word !== GO_WORD || typeof round !== 'number' || typeof startAt !== 'number') return undefined;
  return Number.isInteger(round) && Number.isFinite(startAt) ? { round, startAt } : undefined;
}

/** The plan from the child's argument (trusted: the parent wrote it). */
export function parseStormChildPlan(text: string | undefined): StormChildPlan {
  if (text === undefined) throw new Error('usage: login-storm-child <plan as JSON>');
  const plan = JSON.parse(text) as StormChildPlan;
  if (typeof plan.url !== 'string' || !Array.isArray(plan.logins)) throw new Error('malformed login-storm plan');
  return plan;
}

/** A result line's JSON, shape-checked. */
export function parseStormChildResult(text: string): StormChildResult {
  const value: unknown = JSON.parse(text);
  const isObject = (field: unknown) => typeof field === 'object' && field !== null;
  if (
    !isObject(value) ||
    typeof (value as StormChildResult).round !== 'number' ||
    typeof (value as StormChildResult).loaderCalls !== 'number' ||
    !Array.isArray((value as StormChildResult).latenciesMs) ||
    !isObject((value as StormChildResult).commitAt) ||
    !isObject((value as StormChildResult).resolvedAt) ||
    !isObject((value as StormChildResult).loadedEventAt) ||
    !Array.isArray((value as StormChildResult).waited) ||
    !Array.isArray((value as StormChildResult).failures)
  ) {
    throw new Error(`malformed login-storm result: ${text.slice(0, 200)}`);
  }
  return value as StormChildResult;
}
