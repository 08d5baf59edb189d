import type { UserDoc, UserModel, UserRole } from '../models/user';
import { upsertWithRetry } from './duplicate-key';

/** What {@link upsertUser} writes. */
export interface UserInput {
  readonly userId: string;
  readonly name: string;
  /** @defaultValue 'user' (on insert; an existing user keeps theirs when omitted) */
  readonly role?: UserRole;
}

/**
 * Creates the user or updates their name (and role, when given): one atomic upsert. Resolves with
 * the user as stored afterwards.
 */
export async function upsertUser(
  User: UserModel,
  input: UserInput,
  options: { readonly maxTimeMs?: number } = {},
): Promise<UserDoc> {
  const set = input.role === undefined ? { name: input.name } : { name: input.name, role: input.role };
  const stored = await upsertWithRetry(() =>
    User.findOneAndUpdate(
      { userId: input.userId },
      { $set: set },
      { upsert: true, returnDocument: 'after', runValidators: true, setDefaultsOnInsert: true },
    )
      .maxTimeMS(options.maxTimeMs ?? 5_000)
      .lean<UserDoc>()
      .exec(),
  );
  if (!stored) throw new Error(`upsert of user "${input.userId}" returned no document`);
  return stored;
}
