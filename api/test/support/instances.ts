import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mongoose, { type Connection } from 'mongoose';
import { createTokenSigner, startApi, type ApiUser, type RunningApi, type StartApiOptions } from '@strata/api';

/** The HS256 secret every test instance shares (tests mint their own tokens with it). */
export const TEST_SECRET = 'test-secret-of-at-least-thirty-two-bytes-0123456789';
export const signToken = createTokenSigner(TEST_SECRET);

/** One group of API instances on one Redis (or memory, n = 1) and one MongoDB database. */
export interface ApiGroup {
  readonly apis: RunningApi[];
  readonly keyPrefix: string;
  readonly dbName: string;
  /** A direct connection to the group's database, to check what was (not) written. */
  readonly db: Connection;
  close(): Promise<void>;
}

/**
 * Starts `count` instances through `startApi` — the code `npm start` runs — with the harness's
 * MongoDB (a fresh database) and, unless `memory`, the harness's Redis under a fresh key prefix.
 */
export async function startGroup(
  count: number,
  options: {
    readonly redis?: 'standalone' | 'cluster' | 'memory';
    readonly env?: NodeJS.ProcessEnv;
    readonly start?: StartApiOptions;
  } = {},
): Promise<ApiGroup> {
  const mongoUri = process.env['MONGO_URI'];
  if (!mongoUri) throw new Error('MONGO_URI is unset: run the tests through the root jest.config.js');
  const id = randomBytes(4).toString('hex');
  const keyPrefix = `api${id}`;
  const dbName = `strata_api_${id}`;
  const dataDir = mkdtempSync(join(tmpdir(), 'strata-api-test-'));
  const kind = options.redis ?? 'standalone';
  const redisEnv =
    kind === 'memory'
      ? {}
      : kind === 'cluster'
        ? { REDIS_CLUSTER_NODES: process.env['REDIS_CLUSTER_NODES'] }
        : { REDIS_URI: process.env['REDIS_URI'] };
  const env: NodeJS.ProcessEnv = {
    PATH: process.env['PATH'],
    HOME: process.env['HOME'],
    NODE_ENV: 'test',
    HOST: '127.0.0.1',
    PORT: '0',
    MONGO_URI: mongoUri,
    STRATA_MONGO_DB: dbName,
    STRATA_KEY_PREFIX: keyPrefix,
    STRATA_DATA_DIR: dataDir,
    STRATA_JWT_SECRET: TEST_SECRET,
    STRATA_DEV_LOGIN: '1',
    STRATA_SEED: '0',
    LOG_LEVEL: 'error',
    ...redisEnv,
    ...options.env,
  };
  const apis: RunningApi[] = [];
  const db = await mongoose.createConnection(mongoUri, { dbName, serverSelectionTimeoutMS: 5_000 }).asPromise();
  try {
    for (let index = 0; index < count; index += 1) apis.push(await startApi(env, options.start));
  } catch (error) {
    await Promise.all(apis.map((api) => api.close()));
    await db.close();
    throw error;
  }
  return {
    apis,
    keyPrefix,
    dbName,
    db,
    async close() {
      await Promise.all(apis.map((api) => api.close()));
      await db.dropDatabase().catch(() => undefined);
      await db.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** JSON request with an optional bearer token; answers status, headers and the parsed body. */
export async function call(
  url: string,
  options: { method?: string; token?: string; body?: unknown; rawBody?: string; headers?: Record<string, string> } = {},
): Promise<{ status: number; type: string; body: any }> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.token) headers['authorization'] = `Bearer ${options.token}`;
  let body: string | undefined;
  if (options.rawBody !== undefined) body = options.rawBody;
  else if (options.body !== undefined) body = JSON.stringify(options.body);
  if (body !== undefined) headers['content-type'] ??= 'application/json';
  const response = await fetch(url, {
    method: options.method ?? 'GET',
    headers,
    ...(body === undefined ? {} : { body }),
    signal: AbortSignal.timeout(15_000),
  });
  const text = await response.text();
  let parsed: unknown = text;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    // not JSON: keep the text
  }
  return { status: response.status, type: response.headers.get('content-type') ?? '', body: parsed as any };
}

export function tokenFor(id: string, role: ApiUser['role'] = 'user'): Promise<string> {
  return signToken({ id, role });
}
