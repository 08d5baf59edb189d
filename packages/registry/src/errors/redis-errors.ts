import { StrataError } from './strata-error';

/** Redis could not be reached, or did not answer within the deadline. */
export class RedisUnavailableError extends StrataError {
  constructor(operation: string, cause?: unknown) {
    const reason = cause instanceof Error ? `: ${cause.message}` : '';
    super('REDIS_UNAVAILABLE', `Redis unavailable during ${operation}${reason}`, { cause });
  }
}

/**
 * Runs `work` with a deadline: it settles with the work's outcome, or rejects with
 * `REDIS_UNAVAILABLE` once `timeoutMs` has passed. Errors that are not Strata errors become
 * `REDIS_UNAVAILABLE` too (a connection error is what a Redis call can throw); the timer is always cleared.
 */
export async function withRedisDeadline<T>(operation: string, timeoutMs: number, work: () => Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new RedisUnavailableError(operation, new Error(`no answer within ${timeoutMs} ms`))),
      timeoutMs,
    );
  });
  try {
    return await Promise.race([work(), deadline]);
  } catch (error) {
    if (error instanceof StrataError) throw error;
    if (isScriptError(error)) throw error;
    throw new RedisUnavailableError(operation, error);
  } finally {
    clearTimeout(timer);
  }
}

/** A Lua runtime or argument error is a bug, not an outage: let it through as it is. */
function isScriptError(error: unknown): boolean {
  return error instanceof Error && /ERR (Error running script|user_script|wrong number)/.test(error.message);
}
