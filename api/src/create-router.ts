import express, { Router, type Request, type RequestHandler, type Response } from 'express';
import type { AccessRepository, Logger, Strata } from '@strata/registry';
import { silentLogger } from '@strata/registry/internals';
import { MemoryEventLog, type EventLog } from './events/event-log';
import { publishEvents } from './events/event-publisher';
import { EventStreams } from './events/event-stream';
import { RedisEventLog } from './events/redis-event-log';
import { currentUser, requireAdmin, requireUser } from './http/auth';
import { problemHandler, requestDeadline, routeNotFound } from './http/middleware';
import { addressKey, createRateLimiter } from './http/rate-limit';
import {
  InstanceHeartbeat,
  MemoryInstanceStore,
  RedisInstanceStore,
  type InstanceStore,
} from './instances/instance-directory';
import { adminRoutes } from './routes/admin-routes';
import { devLoginRoutes, type DevLoginOptions } from './routes/auth-routes';
import { handle, type ApiContext } from './routes/context';
import { ApiMetrics, healthRoutes, type ReadinessCheck } from './routes/ops-routes';
import type { ServerView } from './routes/server-views';
import { loginHook, userRoutes } from './routes/user-routes';

/** Each `/readyz` check answers within this. */
const READINESS_TIMEOUT_MS = 2_000;

/** Options of {@link createStrataRouter}. */
export interface StrataRouterOptions {
  /** A started (or starting) Strata instance; the router never closes it. */
  readonly strata: Strata;
  /** The database behind `strata` (permission bits are read from it). */
  readonly repository: AccessRepository;
  /** @defaultValue silent */
  readonly logger?: Logger;
  /**
   * The host's authentication: middleware that sets `res.locals.user = { id, role }` for a signed-in
   * request (and leaves it unset otherwise). The standalone server passes its bearer-JWT check.
   */
  readonly authenticate: RequestHandler;
  /** Largest JSON body. @defaultValue '100kb' */
  readonly bodyLimit?: string;
  /** Every request answers within this (streams excepted). @defaultValue 10000 */
  readonly requestTimeoutMs?: number;
  /** Tool-call deadline when the server's config sets no `timeout`. @defaultValue 30000 */
  readonly toolTimeoutMs?: number;
  /** Event log: @defaultValue a Redis Stream on `strata.backend.redis`, or an in-process ring buffer in memory mode */
  readonly eventLog?: EventLog;
  /** Events kept for replay (`MAXLEN ~`). @defaultValue 10000 */
  readonly eventRetention?: number;
  /** SSE comment-line heartbeat. @defaultValue 15000 */
  readonly heartbeatMs?: number;
  /** Where instances heartbeat: @defaultValue Redis when `strata` has it, else memory */
  readonly instances?: InstanceStore;
  /** Heartbeat TTL. @defaultValue 15000 */
  readonly instanceTtlMs?: number;
  /** This instance's public URL, shown in the instance list. */
  readonly url?: string;
  /** The dev sign-in route; absent unless given (the standalone server gives it only when enabled). */
  readonly devLogin?: DevLoginOptions;
  /** Sign-ins per user (or, for the dev sign-in, per address) per minute, across instances with Redis. @defaultValue 60 */
  readonly signInsPerMinute?: number;
  /** Tool calls per user per minute, across instances with Redis. @defaultValue 300 */
  readonly toolCallsPerMinute?: number;
  /** More `/readyz` checks (the database, …); Redis and the app tier are always checked. */
  readonly readiness?: readonly ReadinessCheck[];
}

/** What a host mounts: the API router (at `/api`), the ops router (at `/`), the login hook, and `close()`. */
export interface StrataRouter {
  /** Mount at `/api`. */
  readonly router: Router;
  /** `/healthz`, `/readyz`, `/metrics`: mount at `/` (no auth). */
  readonly ops: Router;
  /** Records HTTP metrics: mount before everything else. */
  readonly metricsMiddleware: RequestHandler;
  /** The login hook for hosts that sign users in themselves: loads once across instances, answers the effective set. */
  loginHook(userId: string): Promise<ServerView[]>;
  /** Ends every event stream with a retry hint (first step of a shutdown). */
  endStreams(retryMs?: number): void;
  /** Marks the instance as shutting down: `/readyz` answers 503 from now on. */
  drain(): void;
  /** Stops heartbeats, the event publisher and the event log. Does not close `strata`. */
  close(): Promise<void>;
}

/**
 * The API as a router a host mounts in its own Express app (its own auth middleware sets the
 * user), and the same handlers the standalone server (`server.ts`) uses.
 */
export async function createStrataRouter(options: StrataRouterOptions): Promise<StrataRouter> {
  const { strata } = options;
  const logger = options.logger ?? silentLogger;
  const redis = strata.backend.redis;
  const prefix = strata.backend.keys.prefix;
  let ownedLog: RedisEventLog | MemoryEventLog | undefined;
  if (!options.eventLog) {
    ownedLog = redis
      ? new RedisEventLog({
          client: redis,
          key: `${prefix}:events`,
          maxLength: options.eventRetention ?? 10_000,
          timeoutMs: strata.backend.timeoutMs,
          logger,
        })
      : new MemoryEventLog({ maxLength: options.eventRetention ?? 10_000 });
    if (ownedLog instanceof RedisEventLog) await ownedLog.start();
  }
  const eventLog = options.eventLog ?? ownedLog!;
  const publisher = publishEvents(strata, eventLog, logger);
  const instances =
    options.instances ??
    (redis ? new RedisInstanceStore(redis, prefix, strata.backend.timeoutMs) : new MemoryInstanceStore());
  const heartbeat = new InstanceHeartbeat(
    instances,
    () => ({
      instanceId: strata.instanceId,
      url: options.url,
      connections: strata.connections
        .status()
        .map((status) => ({ name: status.name, scope: status.scope, state: status.status.state })),
    }),
    options.instanceTtlMs ?? 15_000,
    logger,
  );
  await heartbeat.start();
  const events = new EventStreams({ log: eventLog, logger, heartbeatMs: options.heartbeatMs ?? 15_000 });
  const ctx: ApiContext = {
    strata,
    repository: options.repository,
    logger,
    events,
    instances,
    toolTimeoutMs: options.toolTimeoutMs ?? 30_000,
  };
  const metrics = new ApiMetrics(strata, publisher);
  let shuttingDown = false;

  const router = Router();
  router.use(express.json({ limit: options.bodyLimit ?? '100kb', strict: true }));
  router.use(requestDeadline(options.requestTimeoutMs ?? 10_000, (path) => path === '/events'));
  const limiter = (what: string, limit: number, key: (req: Request, res: Response) => string) =>
    createRateLimiter({
      what,
      limit,
      key,
      redis,
      prefix: `${prefix}:rl:${what.replace(/\W/g, '')}:`,
      timeoutMs: strata.backend.timeoutMs,
    });
  const userKey = (_req: Request, res: Response) => `user:${currentUser(res).id}`;
  const signInLimit = options.signInsPerMinute ?? 60;
  router.post('/auth/dev-login', limiter('dev sign-ins', signInLimit, addressKey));
  router.use(options.authenticate);
  if (options.devLogin) router.use(devLoginRoutes(ctx, options.devLogin));
  router.post('/auth/login', requireUser, limiter('sign-ins', signInLimit, userKey));
  router.post(
    ['/servers/:name/tools/:tool/call', '/sessions/:sessionId/servers/:name/tools/:tool/call'],
    requireUser,
    limiter('tool calls', options.toolCallsPerMinute ?? 300, userKey),
  );
  router.get(
    '/events',
    requireUser,
    handle((req, res) => events.serve(req, res, currentUser(res))),
  );
  router.use('/admin', requireAdmin, adminRoutes(ctx));
  router.use(requireUser, userRoutes(ctx));
  router.use(routeNotFound);
  router.use(problemHandler(logger));

  const checks: ReadinessCheck[] = [
    { name: 'app-tier', check: () => strata.start() },
    ...(redis ? [{ name: 'redis', check: () => redis.ping() }] : []),
    ...(options.readiness ?? []),
  ];
  const ops = Router();
  ops.use(healthRoutes(checks, READINESS_TIMEOUT_MS, () => shuttingDown));
  ops.get('/metrics', metrics.handler);
  ops.use(problemHandler(logger));

  return {
    router,
    ops,
    metricsMiddleware: metrics.middleware,
    loginHook: (userId) => loginHook(ctx, userId),
    endStreams: (retryMs) => events.closeAll(retryMs),
    drain: () => {
      shuttingDown = true;
    },
    async close() {
      shuttingDown = true;
      events.closeAll();
      await heartbeat.close();
      await publisher.close();
      await ownedLog?.close();
    },
  };
}
