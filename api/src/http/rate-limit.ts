import { rateLimit, ipKeyGenerator, type Store } from 'express-rate-limit';
import { RedisStore, type RedisReply } from 'rate-limit-redis';
import { Cluster, type Redis } from 'ioredis';
import type { Request, RequestHandler, Response } from 'express';
import { withRedisDeadline } from '@strata/registry/internals';
import { ApiError } from './problem';

/** Options of {@link createRateLimiter}. */
export interface RateLimiterOptions {
  /** Requests allowed per key per window. */
  readonly limit: number;
  /** @defaultValue 60000 */
  readonly windowMs?: number;
  /** What is counted: a user id, an address. */
  readonly key: (req: Request, res: Response) => string;
  /** Redis (shared by every instance) or undefined (this process only). */
  readonly redis: Redis | Cluster | undefined;
  /** Redis key prefix of this limiter's counters. */
  readonly prefix: string;
  /** Deadline of each Redis call. */
  readonly timeoutMs: number;
  /** Named in the 429's detail: "sign-ins", "tool calls". */
  readonly what: string;
}

/**
 * `express-rate-limit` with a Redis store when Redis is configured, so every instance counts
 * together; a store error (Redis unavailable) lets the request through — the route itself then
 * answers its typed 503 — rather than refusing every request. Limited: 429 `RATE_LIMITED` problem
 * with `RateLimit` and `Retry-After` headers.
 */
export function createRateLimiter(options: RateLimiterOptions): RequestHandler {
  const { redis, timeoutMs } = options;
  let store: Store | undefined;
  if (redis instanceof Cluster) {
    store = new RedisStore({
      prefix: options.prefix,
      sendCommandCluster: async ({ key, command }) => {
        const [name = '', ...args] = command;
        if (key === undefined) {
          // SCRIPT LOAD has no key: load it on every master, so EVALSHA finds it wherever the key lives.
          const replies = await withRedisDeadline('rate limit', timeoutMs, () =>
            Promise.all(redis.nodes('master').map((node) => node.call(name, ...args))),
          );
          return replies[0] as RedisReply;
        }
        return (await withRedisDeadline('rate limit', timeoutMs, () => redis.call(name, ...args))) as RedisReply;
      },
    });
  } else if (redis) {
    store = new RedisStore({
      prefix: options.prefix,
      sendCommand: async (name, ...args) =>
        (await withRedisDeadline('rate limit', timeoutMs, () => redis.call(name, ...args))) as RedisReply,
    });
  }
  return rateLimit({
    windowMs: options.windowMs ?? 60_000,
    limit: options.limit,
    standardHeaders: 'draft-7',
    legacyHeaders: false,
    passOnStoreError: true,
    keyGenerator: options.key,
    ...(store ? { store } : {}),
    handler: (_req, _res, next) => next(new ApiError('RATE_LIMITED', `too many ${options.what}; try again later`)),
  });
}

/** The caller's address as a rate-limit key (IPv6 grouped by /56, as express-rate-limit advises). */
export function addressKey(req: Request): string {
  return `ip:${ipKeyGenerator(req.ip ?? req.socket.remoteAddress ?? 'unknown')}`;
}
