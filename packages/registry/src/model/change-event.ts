import { z } from 'zod';

/**
 * What travels on the change bus. Every event is versioned: `version` is the config version the
 * change produced (or the app tier's deploy version), so a receiver can ignore an older one.
 */
export const changeEventSchema = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('server.put'),
    tier: z.enum(['app', 'shared']),
    name: z.string(),
    version: z.number().int().nonnegative(),
    origin: z.string(),
  }),
  z.object({
    type: z.literal('server.removed'),
    tier: z.enum(['app', 'shared']),
    name: z.string(),
    version: z.number().int().nonnegative(),
    origin: z.string(),
  }),
  z.object({
    type: z.literal('tier.replaced'),
    tier: z.enum(['app', 'shared']),
    version: z.number().int().nonnegative(),
    /** Content hash of the app-tier file that was written. */
    hash: z.string(),
    origin: z.string(),
  }),
  /** A user's private servers were committed (wakes that user's waiters everywhere). */
  z.object({
    type: z.literal('user.loaded'),
    userId: z.string(),
    generation: z.number().int().nonnegative(),
    origin: z.string(),
    /** The committed entry as Keyv serialized it, so remote waiters need no follow-up read. */
    entry: z.string().optional(),
  }),
  /** A user's load lock ended without a commit (stale generation, a failed commit): waiters try again now. */
  z.object({ type: z.literal('user.unlocked'), userId: z.string(), origin: z.string() }),
  /** A load failed in the loader; waiters wake and get the error, the next call retries. */
  z.object({ type: z.literal('user.load-failed'), userId: z.string(), reason: z.string(), origin: z.string() }),
  /** A server's tool list changed (list_changed or reconnect): instances drop their cached copy. */
  z.object({
    type: z.literal('tools.changed'),
    name: z.string(),
    version: z.number().int().nonnegative(),
    origin: z.string(),
    /** Set when the list is one user's (a server whose tools depend on the user). */
    forUserId: z.string().optional(),
  }),
  /** Users' access changed: every instance drops its copies of their servers. */
  z.object({ type: z.literal('users.invalidated'), userIds: z.array(z.string()), origin: z.string() }),
]);

/** Events that concern a tier (app or shared). */
export type TierChangeEvent = Extract<ChangeEvent, { tier: 'app' | 'shared' }>;

export type ChangeEvent = z.infer<typeof changeEventSchema>;

/** Parses a bus message; undefined for anything that is not a well-formed event. */
export function parseChangeEvent(message: string): ChangeEvent | undefined {
  try {
    const parsed = changeEventSchema.safeParse(JSON.parse(message));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Checks an event against the schema before it is published (every event, whether TypeScript or
 * a Lua script publishes it, is built here): a malformed event is a bug, thrown at its source
 * instead of being dropped by every receiver.
 */
export function checkedEvent<E extends ChangeEvent>(event: E): E {
  const parsed = changeEventSchema.safeParse(event);
  if (!parsed.success) throw new Error(`malformed change event ${event.type}: ${parsed.error.message}`);
  return event;
}
