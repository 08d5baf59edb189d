// @strata/api — the HTTP API: a router a host mounts in its own Express app, and the standalone
// server (`server.ts`, `npm start`) built from the same handlers.

export { createStrataRouter } from './create-router';
export type { StrataRouter, StrataRouterOptions } from './create-router';
export { startApi } from './standalone';
export { openStrata, REPO_ROOT } from './open-strata';
export type { OpenStrata } from './open-strata';
export type { RunningApi, StartApiOptions } from './standalone';

export {
  bearerAuth,
  createTokenSigner,
  createTokenVerifier,
  currentUser,
  requireAdmin,
  requireUser,
} from './http/auth';
export type { ApiUser, Role, TokenVerifier, TokenVerifierOptions } from './http/auth';
export { ApiError, STATUS_OF, toProblem } from './http/problem';
export type { ApiErrorCode, Problem, ProblemCode } from './http/problem';
export { problemHandler, requestContext } from './http/middleware';

export { MemoryEventLog } from './events/event-log';
export type { EventLog, LoggedEvent, ReplayResult } from './events/event-log';
export { RedisEventLog } from './events/redis-event-log';
export { publishEvents } from './events/event-publisher';
export type { EventPublisher, EventSource, PublishEventsOptions } from './events/event-publisher';
export { EventStreams } from './events/event-stream';
export { concerns } from './events/concerns';
export { MemoryInstanceStore, RedisInstanceStore } from './instances/instance-directory';
export type { InstanceInfo, InstanceStore } from './instances/instance-directory';
export type { ServerView } from './routes/server-views';
export type { DevLoginOptions } from './routes/auth-routes';

export { readSettings, ENV_DEFAULTS, SettingsError } from './runtime/api-env';
export type { ApiSettings } from './runtime/api-env';
export { createApiLogger } from './runtime/logger';
export { scrubMessage } from './runtime/scrub';
export { DEMO, seedDemo } from './embedded/seed';
