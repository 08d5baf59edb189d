import { connectTestDatabase } from '@strata/test-harness';
import mongoose, { type Connection } from 'mongoose';

/** A fresh database for one test. */
export interface TestDatabase {
  /** The connection a repository under test should use (see {@link openTestDatabase}). */
  readonly connection: Connection;
  /** The server is FerretDB (its `buildInfo` has `ferretdbVersion`). */
  readonly ferretDb: boolean;
  /** Drops the database and closes every connection opened for it. */
  drop(): Promise<void>;
}

/** The server named by the harness (`MONGO_SERVER_NAME`) is FerretDB: known when tests are defined. */
export const SERVER_IS_FERRETDB = /ferretdb/i.test(process.env['MONGO_SERVER_NAME'] ?? '');

/**
 * `connectTestDatabase()`, except on FerretDB, where the repository gets a second connection to the
 * same database with ONE socket (`maxPoolSize: 1`). FerretDB 1.24's SQLite backend runs every update
 * (`findOneAndUpdate`, `updateOne`, `$inc`, conditional filters) as a read, then a write, with no
 * isolation between connections: 30 concurrent `$inc` over a pool end at 3, and 6 of 30 conditional
 * claims of one document "win". Over one socket the server handles one operation at a time, each
 * atomic, which is what MongoDB guarantees per document over any number of sockets; the operations
 * of concurrent repository calls still interleave, one database operation at a time.
 */
export async function openTestDatabase(): Promise<TestDatabase> {
  const fresh = await connectTestDatabase();
  const info = await fresh.connection.db?.admin().buildInfo();
  const ferretDb = typeof info?.['ferretdbVersion'] === 'string';
  if (!ferretDb) return { connection: fresh.connection, ferretDb, drop: fresh.drop };
  const uri = process.env['MONGO_URI'];
  if (!uri) throw new Error('MONGO_URI is unset: run the tests through the root jest.config.js');
  const single = await mongoose
    .createConnection(uri, {
      dbName: fresh.connection.name,
      maxPoolSize: 1,
      serverSelectionTimeoutMS: 5_000,
      socketTimeoutMS: 10_000,
    })
    .asPromise();
  return {
    connection: single,
    ferretDb,
    async drop() {
      try {
        await single.close();
      } finally {
        await fresh.drop();
      }
    },
  };
}
