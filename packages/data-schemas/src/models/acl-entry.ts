import { Schema, type Connection, type Model } from 'mongoose';

/** The kinds of principal an entry grants to (`Principal['type']` in `@strata/config`). */
export const PRINCIPAL_TYPES = ['user', 'group', 'public'] as const;
export type PrincipalType = (typeof PRINCIPAL_TYPES)[number];

/**
 * `principalId` of the `public` principal: a literal rather than a missing field, because
 * FerretDB's unique index does not treat two documents lacking a field as duplicates.
 */
export const PUBLIC_PRINCIPAL_ID = '*';

/**
 * One principal's permission bits on one server. Revoking sets `bits` to 0 (a tombstone) instead of
 * deleting, so a replay of an interrupted change can still find whom it concerned; entries outlive
 * their server (the resource is a name, and a later server of the same name starts from tombstones).
 */
export interface AclEntryDoc {
  /** The server's name. */
  resource: string;
  principalType: PrincipalType;
  /** A user id, a group id, or {@link PUBLIC_PRINCIPAL_ID}. */
  principalId: string;
  /** `PERMISSION` bits (1-7); 0 = tombstone of a revoked grant. */
  bits: number;
  /** Last write of `bits`. */
  updatedAt: Date;
}

/** `AclEntry` models. */
export type AclEntryModel = Model<AclEntryDoc>;

/** Model name and collection of {@link AclEntryDoc}. */
export const ACL_ENTRY = { model: 'AclEntry', collection: 'aclentries' } as const;

export const aclEntrySchema = new Schema<AclEntryDoc>(
  {
    resource: { type: String, required: true },
    principalType: { type: String, required: true, enum: PRINCIPAL_TYPES },
    principalId: { type: String, required: true },
    bits: { type: Number, required: true, min: 0, max: 7 },
    updatedAt: { type: Date, required: true },
  },
  { collection: ACL_ENTRY.collection, versionKey: false, strict: 'throw' },
);
// One entry per (server, principal): setGrants' and create's per-principal upserts; its prefix
// (resource) serves get / list / principalsOf and the tombstoning updateMany of create and remove.
aclEntrySchema.index(
  { resource: 1, principalType: 1, principalId: 1 },
  { unique: true, name: 'resource_principal_unique' },
);
// The private-tier loader (a user's and their groups' entries) and sharedServers (public entries).
aclEntrySchema.index({ principalType: 1, principalId: 1 }, { name: 'principal' });

/** The `AclEntry` model on `connection` (compiled once per connection; no global model). */
export function aclEntryModel(connection: Connection): AclEntryModel {
  return connection.model<AclEntryDoc>(ACL_ENTRY.model, aclEntrySchema);
}
