import { Schema, type Connection, type Model } from 'mongoose';

/** Roles a user may have: `admin` may manage every server and group. */
export const USER_ROLES = ['user', 'admin'] as const;
export type UserRole = (typeof USER_ROLES)[number];

/** A user the API knows (access is granted by user id; this holds the name and role). */
export interface UserDoc {
  /** Unique; the id grants and group memberships use. */
  userId: string;
  name: string;
  role: UserRole;
  createdAt: Date;
  updatedAt: Date;
}

/** `User` models. */
export type UserModel = Model<UserDoc>;

/** Model name and collection of {@link UserDoc}. */
export const USER = { model: 'User', collection: 'users' } as const;

export const userSchema = new Schema<UserDoc>(
  {
    userId: { type: String, required: true },
    name: { type: String, required: true },
    role: { type: String, required: true, enum: USER_ROLES, default: 'user' },
  },
  { collection: USER.collection, timestamps: true, versionKey: false, strict: 'throw' },
);
// upsertUser and the API's lookups by user id.
userSchema.index({ userId: 1 }, { unique: true, name: 'userId_unique' });

/** The `User` model on `connection` (compiled once per connection; no global model). */
export function userModel(connection: Connection): UserModel {
  return connection.model<UserDoc>(USER.model, userSchema);
}
