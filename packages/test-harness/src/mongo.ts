import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
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
    const reason = error instanceof Error ? error.message : String(error);
    const ferret = await startFerretDb(reason);
    if (ferret) return ferret;
    throw new Error(
      `MONGO_URI is unset and mongodb-memory-server could not start a mongod (${reason}), ` +
        'and no Go toolchain was found to build the FerretDB stand-in (.ci/mongo-server.sh). ' +
        'Set MONGO_URI=mongodb://host:port, or install Go >= 1.22.',
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

/** The repo's FerretDB script, two levels above this package. */
const FERRETDB_SCRIPT = join(__dirname, '..', '..', '..', '.ci', 'mongo-server.sh');
const GO_CANDIDATES = ['/usr/local/go/bin/go', '/usr/bin/go', '/usr/local/bin/go'];

/**
 * Where `mongod` cannot be downloaded, the repo's FerretDB script stands in when a Go toolchain is
 * present (first build ≈ 90 s, then cached). Undefined when there is no Go or no script.
 */
async function startFerretDb(why: string): Promise<MongoTarget | undefined> {
  const onPath = (process.env['PATH'] ?? '').split(':').map((dir) => join(dir, 'go'));
  const go = [...onPath, ...GO_CANDIDATES].find((candidate) => existsSync(candidate));
  if (!go || !existsSync(FERRETDB_SCRIPT)) return undefined;
  process.stdout.write(`[strata-harness] mongodb-memory-server failed (${why}); starting FerretDB instead\n`);
  const run = promisify(execFile);
  const env = { ...process.env, PATH: `${join(go, '..')}:${process.env['PATH'] ?? ''}` };
  const { stdout } = await run('bash', [FERRETDB_SCRIPT], { env, timeout: 600_000, maxBuffer: 1 << 20 });
  const value = (name: string): string | undefined =>
    stdout
      .split('\n')
      .find((line) => line.startsWith(`${name}=`))
      ?.slice(name.length + 1);
  const uri = value('MONGO_URI');
  if (!uri) throw new Error(`.ci/mongo-server.sh printed no MONGO_URI: ${stdout.slice(0, 200)}`);
  const port = new URL(uri).port;
  return {
    uri,
    name: value('MONGO_SERVER_NAME') ?? 'FerretDB',
    stop: async () => void (await run('bash', [FERRETDB_SCRIPT, 'stop', port], { env, timeout: 30_000 })),
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
