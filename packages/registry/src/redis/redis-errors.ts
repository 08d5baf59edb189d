import { StrataError } from '@strata/config';

/** Redis could not be reached, or did not answer within the deadline. */
export class RedisUnavailableError extends StrataError {
  constructor(operation: string, cause?: unknown) {
    const reason = cause instanceof Error ? `: ${cause.message}` : '';
    super('REDIS_UNAVAILABLE', `Redis unavailable during ${operation}${reason}`, { cause });
  }
}

/**
 * Errors that mean "Redis could not be reached or did not answer": connection and socket errors,
 * ioredis's and node-redis's own outage errors, cluster routing failures while a node is down, a
 * server still loading its data set or a read-only replica after a failover. Everything else — a
 * script error, WRONGTYPE, OOM, NOSCRIPT, a bad argument — is not an outage and surfaces as it is.
 */
const CONNECTION_ERROR_NAMES: ReadonlySet<string> = new Set([
  'MaxRetriesPerRequestError', // ioredis: retries exhausted while disconnected
  'ClusterAllFailedError', // ioredis: every cluster node failed
  'ConnectionTimeoutError', // node-redis
  'SocketClosedUnexpectedlyError', // node-redis
  'ClientClosedError', // node-redis: used after close/destroy
  'ClientOfflineError', // node-redis: offline queue disabled
  'DisconnectsClientError', // node-redis
  'ReconnectStrategyError', // node-redis
  'AbortError',
]);
const CONNECTION_ERROR_CODES: ReadonlySet<string> = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ERR_SOCKET_CLOSED',
]);
/** Messages of outage errors that carry neither a distinctive name nor a code. */
const CONNECTION_ERROR_MESSAGES: readonly RegExp[] = [
  /^Connection is closed\.?$/, // ioredis
  /^Stream isn't writeable and enableOfflineQueue options is false/, // ioredis, offline queue off
  /^Command timed out$/, // ioredis commandTimeout
  /^(LOADING|MASTERDOWN|TRYAGAIN|CLUSTERDOWN|READONLY) /, // server: not able to serve right now
  /^Failed to refresh slots cache/, // ioredis cluster
  /^None of startup nodes is available/, // ioredis cluster
  /^Too many Cluster redirections/, // ioredis cluster: slots moving while a node restarts (found by the soak)
  /^The client is closed$/, // node-redis
  /^Socket closed unexpectedly$/, // node-redis
];

/** True when `error` means Redis is unreachable or not answering (see {@link CONNECTION_ERROR_NAMES}). */
export function isConnectionError(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  if (CONNECTION_ERROR_NAMES.has(error.name) || CONNECTION_ERROR_NAMES.has(error.constructor.name)) return true;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && CONNECTION_ERROR_CODES.has(code)) return true;
  if (CONNECTION_ERROR_MESSAGES.some((pattern) => pattern.test(error.message))) return true;
  // An aggregate (ioredis cluster, node-redis multi) is an outage when what it aggregates is.
  const inner = (error as { errors?: unknown }).errors ?? (error as { lastNodeError?: unknown }).lastNodeError;
  if (Array.isArray(inner)) return inner.length > 0 && inner.every(isConnectionError);
  return inner instanceof Error && isConnectionError(inner);
}

/**
 * Runs `work` with a deadline: it settles with the work's outcome, or rejects with
 * `REDIS_UNAVAILABLE` once `timeoutMs` has passed. A connection-class error (see
 * {@link isConnectionError}) becomes `REDIS_UNAVAILABLE` too; any other error surfaces as it is.
 * The timer is always cleared.
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
    if (isConnectionError(error)) throw new RedisUnavailableError(operation, error);
    throw error;
  } finally {
    clearTimeout(timer);
  }
}
