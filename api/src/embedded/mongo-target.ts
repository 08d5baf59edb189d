import { execFile } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Logger } from '@strata/registry';
import { withDeadline } from '../runtime/deadline';

/** The MongoDB the API uses, and how to stop it when this process started it. */
export interface MongoTarget {
  readonly uri: string;
  /** For the start-up banner: "MONGO_URI", "mongodb-memory-server (.data/mongo)", "FerretDB (.data/ferretdb)". */
  readonly description: string;
  stop(): Promise<void>;
}

/** Options of {@link resolveMongo}. */
export interface ResolveMongoOptions {
  readonly env: NodeJS.ProcessEnv;
  /** Where embedded servers keep their data between runs (`.data/` at the repo root by default). */
  readonly dataDir: string;
  /** The repo root (for `.ci/mongo-server.sh`). */
  readonly root: string;
  readonly logger: Logger;
}

const GO_CANDIDATES = ['/usr/local/go/bin/go', '/usr/lib/go/bin/go', '/usr/bin/go'];

/**
 * `MONGO_URI` when set; else `mongodb-memory-server` with its data under `dataDir/mongo` (kept
 * between runs); else, where mongod cannot be downloaded, the repo's FerretDB script with its data
 * under `dataDir/ferretdb` when a Go toolchain is present; else an error that says what to set.
 */
export async function resolveMongo(options: ResolveMongoOptions): Promise<MongoTarget> {
  const { env, dataDir, root, logger } = options;
  const external = env['MONGO_URI'];
  if (external) return { uri: external, description: 'MONGO_URI', stop: () => Promise.resolve() };

  // A data dir a previous run kept with FerretDB stays with FerretDB: the data lives there.
  const ferretDir = join(dataDir, 'ferretdb');
  let memoryFailure = 'not tried: a previous run kept its data with FerretDB';
  if (!existsSync(ferretDir)) {
    try {
      return await startMemoryServer(join(dataDir, 'mongo'));
    } catch (error) {
      memoryFailure = error instanceof Error ? error.message.split('\n')[0]! : String(error);
      logger.warn(`mongodb-memory-server could not start a mongod (${memoryFailure}); trying FerretDB`);
    }
  }

  const script = join(root, '.ci', 'mongo-server.sh');
  const pathDirs = (env['PATH'] ?? '').split(':').filter(Boolean);
  const go = [...pathDirs.map((dir) => join(dir, 'go')), ...GO_CANDIDATES].find((candidate) => existsSync(candidate));
  if (!go || !existsSync(script)) {
    throw new Error(
      `No MongoDB: MONGO_URI is unset, mongodb-memory-server could not start a mongod (${memoryFailure}), ` +
        'and no Go toolchain was found to build the FerretDB stand-in (.ci/mongo-server.sh). ' +
        'Set MONGO_URI=mongodb://host:port/ (or MONGOMS_SYSTEM_BINARY=/path/to/mongod), or install Go >= 1.22.',
    );
  }
  mkdirSync(ferretDir, { recursive: true });
  logger.info('starting FerretDB (the first run builds it from source: 1-3 min)', { dataDir: ferretDir });
  const run = promisify(execFile);
  const scriptEnv = { ...env, PATH: `${join(go, '..')}:${env['PATH'] ?? ''}`, STRATA_MONGO_DATA_DIR: ferretDir };
  const { stdout } = await run('bash', [script], { env: scriptEnv, timeout: 1_800_000, maxBuffer: 1 << 20 });
  const uri = /^MONGO_URI=(.+)$/m.exec(stdout)?.[1];
  if (!uri) throw new Error('.ci/mongo-server.sh printed no MONGO_URI');
  const port = new URL(uri).port;
  return {
    uri,
    description: `FerretDB (data in ${ferretDir})`,
    stop: async () => void (await run('bash', [script, 'stop', port], { env: scriptEnv, timeout: 30_000 })),
  };
}

/** mongodb-memory-server with its data in `dbPath` (kept between runs); its own console noise on failure is held back. */
async function startMemoryServer(dbPath: string): Promise<MongoTarget> {
  mkdirSync(dbPath, { recursive: true });
  const { MongoMemoryServer } = await import('mongodb-memory-server');
  const warn = console.warn;
  console.warn = () => undefined; // it prints a stack on a failed download; the caller says why in one line
  try {
    const server = await withDeadline(
      MongoMemoryServer.create({ instance: { dbPath, storageEngine: 'wiredTiger', ip: '127.0.0.1' } }),
      120_000,
      () => new Error('mongodb-memory-server did not start within 120 s'),
    );
    return {
      uri: server.getUri(),
      description: `mongodb-memory-server (data in ${dbPath})`,
      stop: async () => void (await server.stop({ doCleanup: false })),
    };
  } finally {
    console.warn = warn;
  }
}
