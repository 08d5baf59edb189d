// One Strata instance of the soak: a separate OS process (so the driver can SIGKILL it), built on
// the run's Redis and MongoDB, answering the driver's commands over IPC. Started by soak/run.ts.
import mongoose from 'mongoose';
import { performance } from 'node:perf_hooks';
import { setTimeout as delay } from 'node:timers/promises';
import { createMongoAccessRepository } from '../packages/data-schemas/src/index';
import { createStrata, StrataError, type StoredServer } from '../packages/registry/src/index';
import type { Command, InstanceConfig, InstanceMessage, Request, Sample, SeenServer } from './protocol';

const config = JSON.parse(process.env['SOAK_INSTANCE'] ?? '') as InstanceConfig;

function send(message: InstanceMessage, then?: () => void): void {
  if (then) process.send?.(message, () => then());
  else process.send?.(message);
}

/**
 * After `close()` the process must end by itself: the IPC channel is the last thing open. If it
 * does not end, an unref'd timer (it keeps nothing alive) reports what is still open.
 */
function disconnectAfterClose(): void {
  process.disconnect?.();
  setTimeout(() => {
    process.stderr.write(
      `${config.name} still running 2 s after close: ${process.getActiveResourcesInfo().join(', ')}\n`,
    );
  }, 2_000).unref();
}

function describe(reason: unknown): string {
  return reason instanceof Error ? (reason.stack ?? reason.message) : String(reason);
}

process.on('unhandledRejection', (reason) =>
  send({ event: 'unhandled', message: `unhandledRejection: ${describe(reason)}` }),
);
process.on('uncaughtException', (error) =>
  send({ event: 'unhandled', message: `uncaughtException: ${describe(error)}` }),
);

/** Fault injection: each load waits a random time up to this before reading the database. */
let loaderDelayMs = 0;

function seen(servers: Map<string, StoredServer>): SeenServer[] {
  return [...servers.values()].map((server) => ({ name: server.name, tier: server.tier, version: server.version }));
}

function gc(): void {
  (globalThis as { gc?: () => void }).gc?.();
}

let connection: mongoose.Connection | undefined;

async function main(): Promise<void> {
  connection = await mongoose
    .createConnection(config.mongoUri, {
      dbName: config.database,
      serverSelectionTimeoutMS: 5_000,
      socketTimeoutMS: 10_000,
      ...(config.singleSocket ? { maxPoolSize: 1 } : {}),
    })
    .asPromise();
  const repository = await createMongoAccessRepository(connection);
  const strata = await createStrata({
    redis: config.redis,
    keyPrefix: config.keyPrefix,
    redisTimeoutMs: config.redisTimeoutMs,
    instanceId: config.name,
    repository,
    appServers: config.appServers.map((server) => ({ name: server.name, config: { ...server.config } })) as never,
    loader: async (userId, { signal }) => {
      if (loaderDelayMs > 0) await delay(Math.random() * loaderDelayMs, undefined, { signal });
      return repository.serversForUser(userId, { signal });
    },
    privateTier: { loadTimeoutMs: config.loadTimeoutMs },
    admin: { replayGraceMs: config.replayGraceMs, replayIntervalMs: config.replayIntervalMs },
  });
  await strata.start();

  const run = async (command: Command): Promise<{ servers?: SeenServer[]; sample?: Sample }> => {
    switch (command.op) {
      case 'read':
        return { servers: seen(await strata.getServers({ userId: command.userId })) };
      case 'login':
        return { servers: seen(await strata.login(command.userId)) };
      case 'create':
        await strata.admin.createServer(
          command.name,
          { type: 'streamable-http', url: command.url },
          { userIds: command.userIds },
          config.name,
        );
        return {};
      case 'update':
        await strata.admin.updateServer(command.name, { type: 'streamable-http', url: command.url });
        return {};
      case 'setUsers':
        await strata.admin.setAccess(command.name, { userIds: command.userIds });
        return {};
      case 'promote':
        await strata.admin.promote(command.name);
        return {};
      case 'demote':
        await strata.admin.demote(command.name, command.userIds);
        return {};
      case 'delete':
        await strata.admin.deleteServer(command.name);
        return {};
      case 'slow':
        loaderDelayMs = command.loaderDelayMs;
        return {};
      case 'sample': {
        gc();
        const resources = process.getActiveResourcesInfo();
        const resourceTypes: Record<string, number> = {};
        for (const type of resources) resourceTypes[type] = (resourceTypes[type] ?? 0) + 1;
        return {
          sample: {
            heapBytes: process.memoryUsage().heapUsed,
            resources: resources.length,
            resourceTypes,
            stats: strata.stats(),
          },
        };
      }
      case 'close':
        await strata.close();
        await connection?.close();
        return {};
    }
  };

  process.on('message', (request: Request) => {
    const started = performance.now();
    run(request.command).then(
      (value) =>
        send(
          { id: request.id, ok: true, ms: performance.now() - started, ...value },
          request.command.op === 'close' ? disconnectAfterClose : undefined,
        ),
      (error: unknown) =>
        send({
          id: request.id,
          ok: false,
          ms: performance.now() - started,
          code: error instanceof StrataError ? error.code : 'UNTYPED',
          message: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
        }),
    );
  });
  send({ event: 'ready' });
}

main().catch(async (error: unknown) => {
  process.stderr.write(`soak instance ${config.name} failed to start: ${describe(error)}\n`);
  process.exitCode = 1;
  await connection?.close();
  process.disconnect?.(); // with createStrata's own cleanup done, nothing else is open: the process ends
});
