// @strata/data-schemas — Strata's mongoose models and the mongoose AccessRepository.

export { createMongoAccessRepository, MongoAccessRepository } from './repository/mongo-access-repository';
export type { MongoAccessRepositoryOptions } from './repository/mongo-access-repository';
export { upsertUser } from './repository/upsert-user';
export type { UserInput } from './repository/upsert-user';
export { DUPLICATE_KEY, isDuplicateKeyError } from './repository/duplicate-key';
export {
  createUserVariablesRepository,
  USER_VARIABLE_LIMITS,
  UserVariablesRepository,
} from './repository/user-variables-repository';
export type { UserVariables, UserVariablesRepositoryOptions } from './repository/user-variables-repository';
export {
  DecryptError,
  ENCRYPTION_KEY_ENV,
  ENCRYPTION_KEY_VERSION_ENV,
  ENCRYPTION_PREVIOUS_KEYS_ENV,
  parseEncryptionKey,
  ValueCipher,
} from './crypto/value-cipher';
export type { EncryptedValue, VersionedKey } from './crypto/value-cipher';

export { createModels, ensureIndexes } from './models/create-models';
export type { Models } from './models/create-models';
export { MCP_SERVER, mcpServerModel, mcpServerSchema } from './models/mcp-server';
export type { McpServerDoc, McpServerModel } from './models/mcp-server';
export { ACL_ENTRY, aclEntryModel, aclEntrySchema, PRINCIPAL_TYPES, PUBLIC_PRINCIPAL_ID } from './models/acl-entry';
export type { AclEntryDoc, AclEntryModel, PrincipalType } from './models/acl-entry';
export { GROUP, groupModel, groupSchema } from './models/group';
export type { GroupDoc, GroupModel } from './models/group';
export { USER, USER_ROLES, userModel, userSchema } from './models/user';
export type { UserDoc, UserModel, UserRole } from './models/user';
export { COUNTER, counterModel, counterSchema, VERSION_COUNTER_ID } from './models/counter';
export type { CounterDoc, CounterModel } from './models/counter';
export { PENDING_CHANGE, pendingChangeModel, pendingChangeSchema } from './models/pending-change';
export type { PendingChangeDoc, PendingChangeModel } from './models/pending-change';
export { USER_VARIABLE_KINDS, USER_VARIABLES, userVariablesModel, userVariablesSchema } from './models/user-variables';
export type {
  UserVariableEntry,
  UserVariableKind,
  UserVariablesDoc,
  UserVariablesModel,
} from './models/user-variables';
