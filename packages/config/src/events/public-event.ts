import { z } from 'zod';

/** States a live MCP connection goes through, as browsers and APIs see them. */
export const CONNECTION_STATES = ['connecting', 'connected', 'reconnecting', 'error', 'closed'] as const;
export type ConnectionStateName = (typeof CONNECTION_STATES)[number];

const version = z.number().int().nonnegative();
/** The instance that caused the event (its `instanceId`). */
const instance = z.string();

/** Where a connection lives: app-wide, one user's, or one chat session's. */
export const connectionScopeSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('app') }),
  z.object({ kind: z.literal('user'), userId: z.string() }),
  z.object({ kind: z.literal('session'), userId: z.string(), sessionId: z.string() }),
]);
export type ConnectionScope = z.infer<typeof connectionScopeSchema>;

/**
 * What Strata tells the outside world (an API's live stream, a browser): a projection of its
 * internal events that never carries a config, an env value, a header or an entry — only names,
 * tiers, versions, what changed and which users are affected. Strict objects: a field added by
 * mistake fails the schema instead of leaking.
 */
export const publicEventSchema = z.discriminatedUnion('type', [
  /** An app or shared server was written (`put`) or deleted (`removed`). */
  z.strictObject({
    type: z.literal('server.changed'),
    tier: z.enum(['app', 'shared']),
    name: z.string(),
    version,
    change: z.enum(['put', 'removed']),
    instance,
  }),
  /** A whole tier was replaced (the app tier on a deploy). */
  z.strictObject({ type: z.literal('tier.replaced'), tier: z.enum(['app', 'shared']), version, instance }),
  /** These users' private servers changed (grant, revoke, update, promote, demote): refetch. */
  z.strictObject({ type: z.literal('access.changed'), userIds: z.array(z.string()), instance }),
  /** A user's private servers were loaded (login). */
  z.strictObject({ type: z.literal('user.loaded'), userId: z.string(), instance }),
  /** Loading a user's private servers failed; `reason` is an error code or a fixed phrase. */
  z.strictObject({ type: z.literal('user.load-failed'), userId: z.string(), reason: z.string(), instance }),
  /** A server's tool list changed. */
  z.strictObject({ type: z.literal('tools.changed'), name: z.string(), version, instance }),
  /** A live connection changed state on `instance`. */
  z.strictObject({
    type: z.literal('connection.state'),
    name: z.string(),
    scope: connectionScopeSchema,
    state: z.enum(CONNECTION_STATES),
    /** Reconnect attempt (state `reconnecting`). */
    attempt: z.number().int().positive().optional(),
    /** Why (state `error`): a message that never holds a secret. */
    reason: z.string().optional(),
    instance,
  }),
]);

export type PublicEvent = z.infer<typeof publicEventSchema>;
export type PublicEventType = PublicEvent['type'];
