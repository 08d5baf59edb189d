import { performance } from 'node:perf_hooks';
import { summarize, type Percentiles } from './percentiles';

export interface TimedLoopOptions {
  /** Run at least this many timed calls. @defaultValue 1 */
  readonly minIterations?: number;
  /** ...and for at least this long, in ms. @defaultValue 0 */
  readonly minDurationMs?: number;
  /** Untimed calls first (JIT, caches, connections). @defaultValue 0 */
  readonly warmupIterations?: number;
  /**
   * Time every call (two clock reads per call, which lowers the measured throughput of very cheap
   * calls: measure throughput in a separate run without it). @defaultValue false
   */
  readonly recordLatency?: boolean;
}

export interface TimedLoopResult {
  readonly iterations: number;
  readonly elapsedMs: number;
  readonly opsPerSec: number;
  /** Per-call latency in µs (when `recordLatency`). */
  readonly latencyUs: Percentiles | undefined;
}

/** How often the clock is read when calls are not timed one by one. */
const CLOCK_EVERY = 256;

/** Awaits `fn(i)` sequentially until both `minIterations` and `minDurationMs` are reached. */
export async function timedLoop(
  fn: (iteration: number) => Promise<unknown>,
  options: TimedLoopOptions = {},
): Promise<TimedLoopResult> {
  const minIterations = Math.max(1, options.minIterations ?? 1);
  const minDurationMs = options.minDurationMs ?? 0;
  for (let i = 0; i < (options.warmupIterations ?? 0); i += 1) await fn(i);

  let samples: Float64Array | undefined = options.recordLatency
    ? new Float64Array(Math.max(minIterations, 1024))
    : undefined;
  let iterations = 0;
  const startedAt = performance.now();
  let now = startedAt;
  while (iterations < minIterations || now - startedAt < minDurationMs) {
    if (samples) {
      const before = performance.now();
      await fn(iterations);
      now = performance.now();
      const buffer: Float64Array = iterations === samples.length ? grow(samples) : samples;
      buffer[iterations] = (now - before) * 1_000;
      samples = buffer;
      iterations += 1;
    } else {
      await fn(iterations);
      iterations += 1;
      if (iterations % CLOCK_EVERY === 0) now = performance.now();
    }
  }
  const elapsedMs = performance.now() - startedAt;
  return {
    iterations,
    elapsedMs,
    opsPerSec: (iterations / elapsedMs) * 1_000,
    latencyUs: samples ? summarize(samples.subarray(0, iterations)) : undefined,
  };
}

function grow(samples: Float64Array): Float64Array {
  const bigger = new Float64Array(samples.length * 2);
  bigger.set(samples);
  return bigger;
}
