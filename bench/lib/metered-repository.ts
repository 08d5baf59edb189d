import { performance } from 'node:perf_hooks';

/** Time spent in a repository's calls, and the calls by method. */
export interface RepositoryMeter {
  /** Wall time with at least one metered call in flight since {@link reset} (overlapping calls count once). */
  busyMs(): number;
  /** Metered calls since {@link reset}, by method. */
  calls(): ReadonlyMap<string, number>;
  reset(): void;
}

/**
 * The same object, with its public methods' calls metered ({@link RepositoryMeter}); calls the
 * object makes to itself are not (they run on the original). Methods named in `ignore` (e.g. a
 * background poll) are passed through unmetered.
 */
export function meterRepository<T extends object>(
  repository: T,
  ignore: ReadonlySet<string> = new Set(),
): { readonly repository: T; readonly meter: RepositoryMeter } {
  let inflight = 0;
  let busySince = 0;
  let busy = 0;
  const calls = new Map<string, number>();
  const begin = () => {
    if (inflight === 0) busySince = performance.now();
    inflight += 1;
  };
  const end = () => {
    inflight -= 1;
    if (inflight === 0) busy += performance.now() - busySince;
  };
  const metered = new Proxy(repository, {
    get(target, property, receiver) {
      const value: unknown = Reflect.get(target, property, receiver);
      if (typeof value !== 'function' || typeof property !== 'string' || ignore.has(property)) return value;
      return (...args: unknown[]): unknown => {
        calls.set(property, (calls.get(property) ?? 0) + 1);
        begin();
        let result: unknown;
        try {
          result = Reflect.apply(value, target, args);
        } catch (error) {
          end();
          throw error;
        }
        if (!(result instanceof Promise)) {
          end();
          return result;
        }
        return result.finally(end) as Promise<unknown>;
      };
    },
  });
  return {
    repository: metered,
    meter: {
      busyMs: () => busy + (inflight > 0 ? performance.now() - busySince : 0),
      calls: () => new Map(calls),
      reset() {
        busy = 0;
        busySince = performance.now();
        calls.clear();
      },
    },
  };
}
