import { performance } from 'node:perf_hooks';

/**
 * The line protocol between the login-storm parent (`bench/lib/login-storm.ts`) and its children
 * (`bench/fixtures/login-storm-child.ts`): the parent passes a {@link StormChildPlan} as the child's
 * only argument; the child writes {@link READY_LINE} once connected and warmed up, waits for
 * {@link GO_LINE} on stdin, runs every login at once and writes {@link RESULT_PREFIX} + JSON.
 */
export const READY_LINE = 'ready';
export const GO_LINE = 'go';
export const RESULT_PREFIX = 'result ';

/** What one child does. */
export interface StormChildPlan {
  readonly url: string;
  readonly keyPrefix: string;
  readonly index: number;
  /** One user id per login, all started at once on "go" (the same user may appear several times). */
  readonly logins: readonly string[];
  /** How long the simulated database read of the loader takes. */
  readonly loaderDelayMs: number;
  /** Deadline of every Redis call of the child's backend. */
  readonly timeoutMs: number;
}

/** What one child measured; times are {@link epochMs} (one clock for every process on the host). */
export interface StormChildResult {
  readonly index: number;
  /** Loader calls during the storm (the warm-up before "ready" is not counted). */
  readonly loaderCalls: number;
  /** Messages of the logins that failed. */
  readonly failures: readonly string[];
  /** Every login's `ensureLoaded` latency, from its call to its resolution, in ms. */
  readonly latenciesMs: readonly number[];
  /** User → when this child's fenced commit of that user resolved. */
  readonly commitAt: Readonly<Record<string, number>>;
  /** User → when this child's first `ensureLoaded(user)` resolved. */
  readonly resolvedAt: Readonly<Record<string, number>>;
  /** Users whose load lock this child found held by another process (it waited for the "loaded" publish). */
  readonly waited: readonly string[];
}

/** Milliseconds since the epoch at sub-ms resolution, comparable across processes on one machine. */
export function epochMs(): number {
  return performance.timeOrigin + performance.now();
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
  if (
    typeof value !== 'object' ||
    value === null ||
    !('loaderCalls' in value) ||
    typeof value.loaderCalls !== 'number' ||
    !('latenciesMs' in value) ||
    !Array.isArray(value.latenciesMs) ||
    !('commitAt' in value) ||
    typeof value.commitAt !== 'object' ||
    !('resolvedAt' in value) ||
    typeof value.resolvedAt !== 'object' ||
    !('waited' in value) ||
    !Array.isArray(value.waited) ||
    !('failures' in value) ||
    !Array.isArray(value.failures)
  ) {
    throw new Error(`malformed login-storm result: ${text.slice(0, 200)}`);
  }
  return value as StormChildResult;
}
