import { Schema, type Connection, type Model } from 'mongoose';

/** A named sequence; `_id: 'version'` is the server version sequence. */
export interface CounterDoc {
  _id: string;
  /** Last value handed out. */
  seq: number;
}

/** `Counter` models. */
export type CounterModel = Model<CounterDoc>;

/** Model name and collection of {@link CounterDoc}. */
export const COUNTER = { model: 'Counter', collection: 'counters' } as const;

/** `_id` of the server version sequence. */
export const VERSION_COUNTER_ID = 'version';

export const counterSchema = new Schema<CounterDoc>(
  {
    _id: { type: String, required: true },
    seq: { type: Number, required: true, default: 0 },
  },
  { collection: COUNTER.collection, versionKey: false, strict: 'throw' },
);
// Only the built-in unique `_id` index: nextVersion's findOneAndUpdate({ _id }).

/** The `Counter` model on `connection` (compiled once per connection; no global model). */
export function counterModel(connection: Connection): CounterModel {
  return connection.model<CounterDoc>(COUNTER.model, counterSchema);
}
