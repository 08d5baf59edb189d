import { Schema, type Connection, type Model } from 'mongoose';

/**
 * A change whose cache effects are not known to be done: written before the database change it
 * announces, deleted once the caches agree; a process that finds it stale replays it.
 */
export interface PendingChangeDoc {
  /** Random, time-ordered id (24 hex digits). */
  _id: string;
  /** A server whose caches must be made to agree with the database. */
  server?: string;
  /** A group (being deleted) whose members must be invalidated. */
  group?: string;
  /** Users whose cached private servers must be dropped. */
  userIds: string[];
  /** When the change began (ms since the epoch, the recording process's clock). */
  startedAt: number;
  /** A replayer holds it until then (ms since the epoch); 0 = never claimed. */
  claimedUntil: number;
}

/** `PendingChange` models. */
export type PendingChangeModel = Model<PendingChangeDoc>;

/** Model name and collection of {@link PendingChangeDoc}. */
export const PENDING_CHANGE = { model: 'PendingChange', collection: 'pendingchanges' } as const;

export const pendingChangeSchema = new Schema<PendingChangeDoc>(
  {
    _id: { type: String, required: true },
    server: { type: String, required: false },
    group: { type: String, required: false },
    userIds: { type: [String], default: [] },
    startedAt: { type: Number, required: true },
    claimedUntil: { type: Number, required: true, default: 0 },
  },
  { collection: PENDING_CHANGE.collection, versionKey: false, strict: 'throw' },
);
// claimStaleChanges: changes begun before a cut-off (endChange / the per-candidate claim use `_id`).
pendingChangeSchema.index({ startedAt: 1 }, { name: 'startedAt' });

/** The `PendingChange` model on `connection` (compiled once per connection; no global model). */
export function pendingChangeModel(connection: Connection): PendingChangeModel {
  return connection.model<PendingChangeDoc>(PENDING_CHANGE.model, pendingChangeSchema);
}
