import { Schema, type Connection, type Model } from 'mongoose';
import type { EncryptedValue } from '../crypto/value-cipher';

/** What a stored value is: a `customUserVars` entry, or the user's key for `apiKey: { source: user }`. */
export const USER_VARIABLE_KINDS = ['var', 'apiKey'] as const;
export type UserVariableKind = (typeof USER_VARIABLE_KINDS)[number];

/** One encrypted value; its name is not secret and stays readable (a page lists which are set). */
export interface UserVariableEntry extends EncryptedValue {
  kind: UserVariableKind;
  /** The customUserVars name (`''` for the API key). */
  name: string;
}

/** One user's variables for one server: values only ever stored encrypted (AES-256-GCM). */
export interface UserVariablesDoc {
  userId: string;
  /** The server's slug (the key-safe name). */
  server: string;
  entries: UserVariableEntry[];
  updatedAt: Date;
}

export type UserVariablesModel = Model<UserVariablesDoc>;

/** Model name and collection of {@link UserVariablesDoc}. */
export const USER_VARIABLES = { model: 'UserVariables', collection: 'uservariables' } as const;

const entrySchema = new Schema<UserVariableEntry>(
  {
    kind: { type: String, required: true, enum: USER_VARIABLE_KINDS },
    name: { type: String, required: false, default: '' },
    keyVersion: { type: Number, required: true },
    iv: { type: String, required: true },
    tag: { type: String, required: true },
    data: { type: String, required: true },
  },
  { _id: false, strict: 'throw' },
);

export const userVariablesSchema = new Schema<UserVariablesDoc>(
  {
    userId: { type: String, required: true },
    server: { type: String, required: true },
    entries: { type: [entrySchema], default: [] },
    updatedAt: { type: Date, required: true },
  },
  { collection: USER_VARIABLES.collection, versionKey: false, strict: 'throw' },
);
// get / set / delete by (user, server); one document each.
userVariablesSchema.index({ userId: 1, server: 1 }, { unique: true, name: 'userId_server_unique' });

/** The `UserVariables` model on `connection` (compiled once per connection; no global model). */
export function userVariablesModel(connection: Connection): UserVariablesModel {
  return connection.model<UserVariablesDoc>(USER_VARIABLES.model, userVariablesSchema);
}
