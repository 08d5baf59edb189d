import type { Connection } from 'mongoose';
import { aclEntryModel, type AclEntryModel } from './acl-entry';
import { counterModel, type CounterModel } from './counter';
import { groupModel, type GroupModel } from './group';
import { mcpServerModel, type McpServerModel } from './mcp-server';
import { pendingChangeModel, type PendingChangeModel } from './pending-change';
import { userModel, type UserModel } from './user';
import { userVariablesModel, type UserVariablesModel } from './user-variables';

/** Every Strata model, compiled on one connection. */
export interface Models {
  readonly McpServer: McpServerModel;
  readonly AclEntry: AclEntryModel;
  readonly Group: GroupModel;
  readonly User: UserModel;
  readonly Counter: CounterModel;
  readonly PendingChange: PendingChangeModel;
  readonly UserVariables: UserVariablesModel;
}

/**
 * Compiles every model on `connection` (a second call on the same connection returns the same
 * models). Index builds start in the background (mongoose `autoIndex`); await {@link ensureIndexes}
 * before relying on a unique index.
 */
export function createModels(connection: Connection): Models {
  return {
    McpServer: mcpServerModel(connection),
    AclEntry: aclEntryModel(connection),
    Group: groupModel(connection),
    User: userModel(connection),
    Counter: counterModel(connection),
    PendingChange: pendingChangeModel(connection),
    UserVariables: userVariablesModel(connection),
  };
}

/**
 * Creates every collection and every index the schemas declare, and resolves once they exist
 * (also when the connection has `autoIndex: false`). Rejects when an index cannot be built, e.g. a
 * unique index over data that already has duplicates.
 */
export async function ensureIndexes(models: Models): Promise<void> {
  await Promise.all(
    Object.values(models).map(async (model: Models[keyof Models]) => {
      await model.init();
      await model.createCollection(); // an existing one is fine (mongoose ignores NamespaceExists)
      await model.createIndexes();
    }),
  );
}
