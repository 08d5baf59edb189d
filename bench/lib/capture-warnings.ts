/** Process warnings of one name, counted instead of printed while `work` runs. */
export interface CapturedWarnings<T> {
  readonly result: T;
  /** How many warnings named `name` were emitted (and not printed). */
  readonly count: number;
  /** The first one's message, for the report. */
  readonly first: string | undefined;
}

/**
 * Runs `work` with process warnings named `name` (e.g. `MaxListenersExceededWarning`) counted
 * instead of printed: one line in the report rather than hundreds on stderr. Every other warning
 * still reaches Node's own listeners; those are put back afterwards, even if `work` throws.
 */
export async function captureWarnings<T>(name: string, work: () => Promise<T>): Promise<CapturedWarnings<T>> {
  const original = process.listeners('warning');
  let count = 0;
  let first: string | undefined;
  const filter = (warning: Error) => {
    if (warning.name === name) {
      count += 1;
      first ??= warning.message;
      return;
    }
    for (const listener of original) listener(warning);
  };
  for (const listener of original) process.off('warning', listener);
  process.on('warning', filter);
  try {
    const result = await work();
    return { result, count, first };
  } finally {
    await new Promise((resolve) => setImmediate(resolve)); // warnings are emitted on a later tick
    process.off('warning', filter);
    for (const listener of original) process.on('warning', listener);
  }
}
