import { randomBytes } from 'node:crypto';
import mongoose, { type Connection } from 'mongoose';
import { startMongo } from '../../packages/test-harness/src/mongo';

/** The MongoDB-protocol server one bench run talks to. */
export interface MongoTarget {
  /** Where it listens (for processes of the run that connect on their own). */
  readonly uri: string;
  /** The harness's name for it (e.g. "FerretDB v1.24.0 (SQLite)"). */
  readonly name: string;
  /** FerretDB (by name or by `buildInfo.ferretdbVersion`): the bench's connections get one socket. */
  readonly ferretDb: boolean;
  /** `maxPoolSize` of {@link connect}'s connections (1 on FerretDB, the driver's default otherwise). */
  readonly maxPoolSize: number | undefined;
  /** A connection to a fresh, randomly named database; {@link close} drops it and closes the connection. */
  connect(label: string): Promise<Connection>;
  /** Drops the database of a connection {@link connect} made and closes that connection now. */
  release(connection: Connection): Promise<void>;
  /** Drops every database {@link connect} made, closes the connections, stops a server it started. */
  close(): Promise<void>;
}

/** Network backstops of the bench's connections (the repository's `maxTimeMS` is the server-side deadline). */
const SOCKET_TIMEOUT_MS = 120_000;
const SERVER_SELECTION_TIMEOUT_MS = 10_000;

/**
 * `startMongo()` from the test harness: `MONGO_URI`, else mongodb-memory-server, else the repo's
 * FerretDB stand-in (.ci/mongo-server.sh). The harness reports its fallback on stdout; that line is
 * sent to stderr here, with the other progress lines, so stdout stays the report.
 *
 * FerretDB 1.x runs an update as a read then a write with no isolation between connections
 * (packages/data-schemas/README.md), so on FerretDB every connection made here has ONE socket
 * (`maxPoolSize: 1`), as the package's tests do (packages/data-schemas/test/support/test-database.ts).
 */
export async function startMongoTarget(): Promise<MongoTarget> {
  const ownWrite = Object.getOwnPropertyDescriptor(process.stdout, 'write');
  process.stdout.write = process.stderr.write.bind(process.stderr);
  let server: Awaited<ReturnType<typeof startMongo>>;
  try {
    server = await startMongo();
  } finally {
    if (ownWrite) Object.defineProperty(process.stdout, 'write', ownWrite);
    else Reflect.deleteProperty(process.stdout, 'write'); // back to the stream's own method
  }
  const connections = new Set<Connection>();
  const release = async (connection: Connection) => {
    connections.delete(connection);
    try {
      await connection.dropDatabase();
    } finally {
      await connection.close();
    }
  };
  try {
    const ferretDb = /ferretdb/i.test(server.name) || (await reportsFerretDb(server.uri));
    const maxPoolSize = ferretDb ? 1 : undefined;
    return {
      uri: server.uri,
      name: server.name,
      ferretDb,
      maxPoolSize,
      async connect(label) {
        const dbName = `strata_bench_${label}_${randomBytes(4).toString('hex')}`;
        const connection = await mongoose
          .createConnection(server.uri, {
            dbName,
            socketTimeoutMS: SOCKET_TIMEOUT_MS,
            serverSelectionTimeoutMS: SERVER_SELECTION_TIMEOUT_MS,
            ...(maxPoolSize === undefined ? {} : { maxPoolSize }),
          })
          .asPromise();
        connections.add(connection);
        return connection;
      },
      release,
      async close() {
        try {
          const failures: unknown[] = [];
          for (const connection of [...connections])
            await release(connection).catch((error: unknown) => failures.push(error));
          if (failures.length > 0) throw failures[0];
        } finally {
          await server.stop();
        }
      },
    };
  } catch (error) {
    await server.stop();
    throw error;
  }
}

/** `buildInfo` of the server has `ferretdbVersion` (an external `MONGO_URI` may be FerretDB under another name). */
async function reportsFerretDb(uri: string): Promise<boolean> {
  const probe = await mongoose
    .createConnection(uri, { serverSelectionTimeoutMS: SERVER_SELECTION_TIMEOUT_MS, maxPoolSize: 1 })
    .asPromise();
  try {
    const info = await probe.db?.admin().buildInfo();
    return typeof info?.['ferretdbVersion'] === 'string';
  } finally {
    await probe.close();
  }
}
