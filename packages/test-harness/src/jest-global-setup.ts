import { startMongo, type MongoTarget } from './mongo';
import { RedisClusterProcess } from './redis-cluster';
import { RedisServerProcess } from './redis-server-process';

/** What global setup started, for global teardown (same process). */
export interface HarnessState {
  redis?: RedisServerProcess;
  cluster?: RedisClusterProcess;
  mongo?: MongoTarget;
}

const STATE_KEY = Symbol.for('strata.test-harness.state');

export function harnessState(): HarnessState {
  const holder = globalThis as unknown as Record<symbol, HarnessState | undefined>;
  return (holder[STATE_KEY] ??= {});
}

/**
 * Jest global setup: starts what the environment does not point at and exports its address
 * through the environment that Jest's workers inherit: `REDIS_URI`, `REDIS_CLUSTER_NODES`. MongoDB is
 * started by {@link mongoSetup}, only for the projects that ask for it.
 */
export default async function globalSetup(): Promise<void> {
  const state = harnessState();
  const env = process.env;
  const log = (line: string): void => void process.stdout.write(`[strata-harness] ${line}\n`);
  const tasks: Array<Promise<void>> = [];

  if (!env['REDIS_URI']) {
    tasks.push(
      RedisServerProcess.start().then((server) => {
        state.redis = server;
        env['REDIS_URI'] = server.url;
      }),
    );
  }
  if (!env['REDIS_CLUSTER_NODES']) {
    tasks.push(
      RedisClusterProcess.start().then((cluster) => {
        state.cluster = cluster;
        env['REDIS_CLUSTER_NODES'] = cluster.addresses.join(',');
      }),
    );
  }
  const results = await Promise.allSettled(tasks);
  const failure = results.find((result): result is PromiseRejectedResult => result.status === 'rejected');
  if (failure) {
    await globalTeardownState(state);
    throw failure.reason;
  }
  log(`Redis standalone: ${env['REDIS_URI'] ?? ''}${state.redis ? ' (started by the harness)' : ' (external)'}`);
  log(
    `Redis cluster: ${env['REDIS_CLUSTER_NODES'] ?? ''}${state.cluster ? ' (3 masters started by the harness)' : ' (external)'}`,
  );
}

/**
 * Project-level setup of the projects that need MongoDB: `MONGO_URI` when set, otherwise
 * `mongodb-memory-server`, otherwise the repo's FerretDB script (see {@link startMongo}).
 */
export async function mongoSetup(): Promise<void> {
  const state = harnessState();
  if (state.mongo) return;
  const env = process.env;
  state.mongo = await startMongo(env);
  env['MONGO_URI'] = state.mongo.uri;
  env['MONGO_SERVER_NAME'] = state.mongo.name;
  process.stdout.write(`[strata-harness] MongoDB: ${state.mongo.name} at ${redactUri(state.mongo.uri)}\n`);
}

export async function mongoTeardown(): Promise<void> {
  const state = harnessState();
  await state.mongo?.stop();
  delete state.mongo;
}

export async function globalTeardownState(state: HarnessState): Promise<void> {
  await Promise.allSettled([state.redis?.stop(), state.cluster?.stop(), state.mongo?.stop()]);
  delete state.redis;
  delete state.cluster;
  delete state.mongo;
}

/** Hides a password in a connection string before it is printed. */
export function redactUri(uri: string): string {
  return uri.replace(/\/\/([^:/@]+):([^@/]+)@/, '//$1:***@');
}
