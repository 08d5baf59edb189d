import { Schema, type Connection, type Model } from 'mongoose';

/** A named set of users; an access entry may grant to it (`principalType: 'group'`). */
export interface GroupDoc {
  /** Unique; matches `GROUP_ID_PATTERN` (checked by the caller). */
  groupId: string;
  name: string;
  /** User ids, each once, in the order they joined. */
  members: string[];
}

/** `Group` models. */
export type GroupModel = Model<GroupDoc>;

/** Model name and collection of {@link GroupDoc}. */
export const GROUP = { model: 'Group', collection: 'groups' } as const;

export const groupSchema = new Schema<GroupDoc>(
  {
    groupId: { type: String, required: true },
    name: { type: String, required: true },
    members: { type: [String], default: [] },
  },
  { collection: GROUP.collection, versionKey: false, strict: 'throw' },
);
// createGroup's duplicate check (E11000), addMembers / removeMembers / removeGroup, usersOf.
groupSchema.index({ groupId: 1 }, { unique: true, name: 'groupId_unique' });
// Multikey: the groups of a user (the private-tier loader).
groupSchema.index({ members: 1 }, { name: 'members' });

/** The `Group` model on `connection` (compiled once per connection; no global model). */
export function groupModel(connection: Connection): GroupModel {
  return connection.model<GroupDoc>(GROUP.model, groupSchema);
}
