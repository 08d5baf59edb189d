import { randomBytes } from 'node:crypto';
import mongoose, { type Connection } from 'mongoose';

/** A MongoDB-protocol server the tests can reach. */
export interface MongoTarget {
  readonly uri: string;
  /** Human-readable name of the server, printed by the test run (e.g. "FerretDB v1.24.0 (SQLite)"). */
  readonly name: string;
  stop(): Promise<void>;
}

/**
 * `MONGO_URI` when set (CI starts a MongoDB-wire-compatible server and exports it); otherwise a
 * `mongodb-memory-server` instance, which needs a `mongod` it can download or find
 * (`MONGOMS_SYSTEM_BINARY`). Fails with a message that says what to set.
 */
export async function startMongo(env: NodeJS.ProcessEnv = process.env): Promise<MongoTarget> {
  const external = env['MONGO_URI'];
  if (external) {
    return {
      uri: external,
      name: env['MONGO_SERVER_NAME'] ?? 'external MongoDB (MONGO_URI)',
      stop: () => Promise.resolve(),
    };
  }
  const { MongoMemoryServer } = await import('mongodb-memory-server');
  let server: InstanceType<typeof MongoMemoryServer>;
  try {
    server = await MongoMemoryServer.create();
  } catch (error) {
    throw new Error(
      'MONGO_URI is unset and mongodb-memory-server could not start a mongod ' +
        `(${error instanceof Error ? error.message : String(error)}). ` +
        'Set MONGO_URI, or run .ci/mongo-server.sh to start a MongoDB-wire-compatible server.',
      { cause: error },
    );
  }
  const version = server.opts.binary?.version ?? 'default version';
  return {
    uri: server.getUri(),
    name: `mongodb-memory-server (mongod ${version})`,
    stop: async () => void (await server.stop()),
  };
}

/** A mongoose connection to a fresh, randomly named database; `drop()` removes the database and closes. */
export async function connectTestDatabase(
  uri = process.env['MONGO_URI'],
): Promise<{ connection: Connection; drop(): Promise<void> }> {
  if (!uri) throw new Error('MONGO_URI is unset: run the tests through the root jest.config.js');
  const dbName = `strata_test_${randomBytes(5).toString('hex')}`;
  const connection = await mongoose
    .createConnection(uri, { dbName, serverSelectionTimeoutMS: 5_000, socketTimeoutMS: 10_000 })
    .asPromise();
  return {
    connection,
    async drop() {
      try {
        await connection.dropDatabase();
      } finally {
        await connection.close();
      }
    },
  };
}
