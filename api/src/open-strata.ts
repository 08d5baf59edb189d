import { readFileSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import mongoose, { type Connection } from 'mongoose';
import { createStrata, parseStrataYaml, type AccessRepository, type Logger, type Strata } from '@strata/registry';
import { createModels, createMongoAccessRepository, type UserModel } from '@strata/data-schemas';
import { resolveMongo, type MongoTarget } from './embedded/mongo-target';
import type { ApiSettings } from './runtime/api-env';

/** The repo root: `api/src/..` /.. */
export const REPO_ROOT = resolve(__dirname, '..', '..');

/** A path from the settings: absolute as given, else from the repo root. */
export function fromRoot(value: string): string {
  return isAbsolute(value) ? value : join(REPO_ROOT, value);
}

/** A started Strata on the configured storage, and what `close()` undoes (in reverse order). */
export interface OpenStrata {
  readonly strata: Strata;
  readonly repository: AccessRepository;
  readonly users: UserModel;
  readonly connection: Connection;
  readonly mongo: MongoTarget;
  readonly close: () => Promise<void>;
}

/**
 * MongoDB (configured or embedded), the repository, `createStrata()` on Redis or memory with the
 * app tier from the config file, started. The server and the CLI both open Strata this way.
 */
export async function openStrata(settings: ApiSettings, env: NodeJS.ProcessEnv, logger: Logger): Promise<OpenStrata> {
  const configFile = fromRoot(settings.configFile);
  const { servers: appServers } = parseStrataYaml(readFileSync(configFile, 'utf8'), configFile);
  const cleanups: Array<() => Promise<unknown>> = [];
  const close = async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
  };
  try {
    const mongo = await resolveMongo({ env, dataDir: fromRoot(settings.dataDir), root: REPO_ROOT, logger });
    cleanups.push(() => mongo.stop());
    const connection = await mongoose
      .createConnection(mongo.uri, {
        dbName: settings.mongoDb,
        serverSelectionTimeoutMS: 5_000,
        socketTimeoutMS: 15_000,
      })
      .asPromise();
    cleanups.push(() => connection.close());
    const repository = await createMongoAccessRepository(connection);
    const { User } = createModels(connection);
    const strata = await createStrata({
      ...(settings.redis ? { redis: settings.redis } : {}),
      keyPrefix: settings.keyPrefix,
      appServers,
      repository,
      logger,
      ...(settings.instanceId ? { instanceId: settings.instanceId } : {}),
      // The demo servers' placeholders: no machine path is stored in the database.
      connections: { env: { ...env, STRATA_HOME: REPO_ROOT, STRATA_NODE: process.execPath } },
    });
    cleanups.push(() => strata.close());
    await strata.start();
    return { strata, repository, users: User, connection, mongo, close };
  } catch (error) {
    await close();
    throw error;
  }
}
