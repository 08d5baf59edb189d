// `npm run soak -- [--duration 90s|30m] [--seed N] [--topology standalone|cluster] [--instances 3]`
//
// The project's fault harness: N Strata instances (separate OS processes) on one Redis (its own
// redis-server processes, standalone or a 3-master cluster, so it can pause and kill them) and one
// MongoDB (the source of truth), a driver doing random logins, grants, revokes, promotes, demotes,
// updates, deletes and creates, a fault schedule (Redis paused, Redis killed and restarted empty,
// instances SIGKILLed mid-operation, slow loaders up to the load timeout), and a checker of the
// invariants after every step (soak/checker.ts). Prints a summary and a JSON line; exits 1 on any
// violation, printing the seed that reproduces the run's choices.
import { fork, type ChildProcess } from 'node:child_process';
import { randomBytes, randomInt } from 'node:crypto';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import Redis from 'ioredis';
import { createMongoAccessRepository } from '../packages/data-schemas/src/index';
import type { AccessRepository } from '../packages/registry/src/index';
import { RedisClusterProcess, waitFor } from '../packages/test-harness/src/redis-cluster';
import { RedisServerProcess } from '../packages/test-harness/src/redis-server-process';
import { startMongoTarget } from '../bench/lib/mongo-target';
import { InvariantChecker, type Expected, type ReadResult } from './checker';
import type { Command, InstanceConfig, InstanceMessage, Reply } from './protocol';
import { Random } from './random';

const USERS = Array.from({ length: 12 }, (_, i) => `u${String(i).padStart(2, '0')}`);
const SERVER_NAMES = Array.from({ length: 14 }, (_, i) => `s${String(i).padStart(2, '0')}`);
const APP_SERVERS = [
  { name: 'app-search', config: { type: 'streamable-http', url: 'http://127.0.0.1:9/search' } },
  { name: 'app-files', config: { type: 'streamable-http', url: 'http://127.0.0.1:9/files' } },
];
const TIMING = {
  redisTimeoutMs: 1_000,
  loadTimeoutMs: 5_000,
  replayGraceMs: 2_000,
  replayIntervalMs: 1_000,
  /** The near caches' defaults (registry.nearCacheMaxStalenessMs, privateTier.nearCacheTtlMs). */
  nearCacheMs: 1_000,
} as const;
/**
 * How long a cache may disagree with the database, counted from the later of the change and the end
 * of the last Redis fault: an interrupted change waits replayGraceMs to be taken as interrupted, up
 * to replayIntervalMs for a replayer to look, a replay of a few Redis calls (each ≤ redisTimeoutMs,
 * two allowed), then every near cache's bound (app/shared and private). docs/faults.md.
 */
const BOUND_MS = TIMING.replayGraceMs + TIMING.replayIntervalMs + 2 * TIMING.redisTimeoutMs + 2 * TIMING.nearCacheMs;
const SAMPLE_EVERY_MS = 5_000;
const VERBOSE = process.env['SOAK_VERBOSE'] === '1';
const KILL_PROBABILITY = 0.06;
const ADMIN_DEADLINE_MS = 30_000;
/** A run that has not finished this long after its duration is stuck: it is torn down and fails. */
const OVERRUN_MS = 5 * 60_000;

/** Set once the run's steps are done (or it failed): no successor is started after it. */
let stopping = false;
/** Every instance process ever forked and not yet exited, so a failed run can kill them all. */
const children = new Set<ChildProcess>();
/** Teardown of what the run started (Redis, MongoDB), newest first, for a run that fails. */
const teardown: Array<() => Promise<unknown>> = [];

interface Args {
  durationMs: number;
  seed: number;
  topology: 'standalone' | 'cluster';
  instances: number;
}

function parseDuration(value: string): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(value.trim());
  if (!match) throw new Error(`--duration: expected e.g. 90s, 30m or 1h, got ${JSON.stringify(value)}`);
  const unit = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 }[(match[2] ?? 's') as 'ms' | 's' | 'm' | 'h'];
  return Math.round(Number(match[1]) * unit);
}

function parseCli(): Args {
  const { values } = parseArgs({
    options: {
      duration: { type: 'string', default: '2m' },
      seed: { type: 'string' },
      topology: { type: 'string', default: 'standalone' },
      instances: { type: 'string', default: '3' },
    },
  });
  const topology = values.topology;
  if (topology !== 'standalone' && topology !== 'cluster') throw new Error('--topology: standalone or cluster');
  const instances = Number(values.instances);
  if (!Number.isInteger(instances) || instances < 2 || instances > 10) throw new Error('--instances: 2..10');
  const seed = values.seed === undefined ? randomInt(2 ** 31) : Number(values.seed);
  if (!Number.isInteger(seed)) throw new Error('--seed: an integer');
  return { durationMs: parseDuration(values.duration), seed, topology, instances };
}

function log(message: string): void {
  process.stderr.write(`[soak ${new Date().toISOString().slice(11, 23)}] ${message}\n`);
}

/** The run's Redis: standalone or cluster, owned (paused, killed, restarted) by the soak. */
interface SoakRedis {
  readonly connection: InstanceConfig['redis'];
  readonly nodes: readonly RedisServerProcess[];
  /** Resolves once every node serves again (a cluster: `cluster_state:ok` everywhere). */
  healthy(): Promise<void>;
  stop(): Promise<void>;
}

async function startRedis(topology: Args['topology']): Promise<SoakRedis> {
  if (topology === 'standalone') {
    const server = await RedisServerProcess.start();
    return {
      connection: { url: server.url },
      nodes: [server],
      healthy: () => Promise.resolve(),
      stop: () => server.stop(),
    };
  }
  const cluster = await RedisClusterProcess.start();
  return {
    connection: { clusterNodes: cluster.nodes.map((node) => ({ host: '127.0.0.1', port: node.port })) },
    nodes: cluster.nodes,
    // Gossip convergence is announced by no event: re-checked with a deadline (waitFor's documented use).
    healthy: () =>
      waitFor(20_000, async () => {
        const infos = await Promise.all(
          cluster.nodes.map(async (node) => {
            const client = new Redis(node.port, '127.0.0.1', {
              lazyConnect: true,
              maxRetriesPerRequest: 0,
              connectTimeout: 1_000,
              commandTimeout: 1_000,
            });
            try {
              await client.connect();
              return (await client.call('CLUSTER', 'INFO')) as string;
            } catch {
              return '';
            } finally {
              client.disconnect();
            }
          }),
        );
        return infos.every((info) => info.includes('cluster_state:ok'));
      }),
    stop: () => cluster.stop(),
  };
}

/** One instance process and its pending requests. */
class Instance {
  private nextId = 1;
  private readonly pending = new Map<number, (reply: Reply) => void>();
  readonly exited: Promise<number | null>;
  private alive = true;

  private constructor(
    readonly name: string,
    private readonly child: ChildProcess,
    onUnhandled: (message: string) => void,
  ) {
    this.exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
    // Sends are checked through their callbacks; any other 'error' (a failed kill) is logged, as an
    // 'error' left without a listener would end the run.
    child.on('error', (error) => log(`${name}: ${error.message}`));
    child.once('exit', () => {
      this.alive = false;
      // Each settle removes its own entry (deleting the current entry is safe in a Map's iteration).
      for (const [id, settle] of this.pending)
        settle({ id, ok: false, ms: 0, code: 'KILLED', message: 'process exited' });
    });
    child.on('message', (message: InstanceMessage) => {
      if ('event' in message) {
        if (message.event === 'unhandled') onUnhandled(message.message);
        return;
      }
      this.pending.get(message.id)?.(message);
    });
  }

  static async start(config: InstanceConfig, onUnhandled: (message: string) => void): Promise<Instance> {
    const child = fork(join(__dirname, 'instance.ts'), [], {
      execArgv: ['--require', 'tsx/cjs', '--expose-gc'],
      env: { ...process.env, SOAK_INSTANCE: JSON.stringify(config) },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    children.add(child);
    child.once('exit', () => children.delete(child));
    const instance = new Instance(config.name, child, onUnhandled);
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        done(new Error(`${config.name} not ready within 60 s`));
      }, 60_000);
      const onMessage = (message: InstanceMessage): void => {
        if ('event' in message && message.event === 'ready') done();
      };
      const onExit = (code: number | null): void =>
        done(new Error(`${config.name} exited (${String(code)}) before ready`));
      const done = (error?: Error): void => {
        clearTimeout(timer);
        child.off('message', onMessage);
        child.off('exit', onExit);
        if (error) reject(error);
        else resolve();
      };
      child.on('message', onMessage);
      child.once('exit', onExit);
    });
    return instance;
  }

  get running(): boolean {
    return this.alive;
  }

  /** Sends a command; a reply that does not come within `deadlineMs` resolves as `NO_REPLY`. */
  request(command: Command, deadlineMs: number): Promise<Reply> {
    const id = this.nextId++;
    if (!this.alive) return Promise.resolve({ id, ok: false, ms: 0, code: 'KILLED', message: 'process exited' });
    return new Promise((resolve) => {
      /** The first of reply, exit, deadline and failed send answers; the others find nothing pending. */
      const settle = (reply: Reply): void => {
        if (!this.pending.delete(id)) return;
        clearTimeout(timer);
        resolve(reply);
      };
      const timer = setTimeout(
        () => settle({ id, ok: false, ms: deadlineMs, code: 'NO_REPLY', message: `no reply within ${deadlineMs} ms` }),
        deadlineMs,
      );
      this.pending.set(id, settle);
      // A child SIGKILLed but whose exit is not yet delivered has a closed channel: with a
      // callback, send reports that here instead of as an 'error' event (which would end the run).
      this.child.send({ id, command }, (error) => {
        if (error) settle({ id, ok: false, ms: 0, code: 'KILLED', message: `not delivered: ${error.message}` });
      });
    });
  }

  kill(): void {
    this.child.kill('SIGKILL');
  }
}

/** What the database grants each user right now (the source of truth), app servers included. */
async function truth(repository: AccessRepository): Promise<Map<string, Expected>> {
  const shared = await repository.sharedServers();
  const result = new Map<string, Expected>();
  await Promise.all(
    USERS.map(async (userId) => {
      const expected = new Map<string, number | undefined>(APP_SERVERS.map((server) => [server.name, undefined]));
      for (const record of shared) expected.set(record.name, record.version);
      for (const record of await repository.serversForUser(userId)) expected.set(record.name, record.version);
      result.set(userId, expected);
    }),
  );
  return result;
}

async function main(): Promise<void> {
  const args = parseCli();
  const random = new Random(args.seed);
  log(
    `seed ${args.seed}, ${args.topology}, ${args.instances} instances, ${args.durationMs / 1000} s, bound ${BOUND_MS} ms`,
  );
  const checker = new InvariantChecker({
    boundMs: BOUND_MS,
    readDeadlineMs: TIMING.loadTimeoutMs,
    // 10 % (the margin) plus 250 ms of scheduling slack: instances, Redis and MongoDB share the host's CPUs.
    deadlineMargin: { fraction: 0.1, slackMs: 250 },
    heapGrowth: { ratio: 1.25, bytes: 8 * 1_048_576 },
    resourceSlack: 8,
  });
  const startedAt = Date.now();
  const elapsed = (): number => Date.now() - startedAt;
  const overrun = setTimeout(() => {
    fail(new Error(`the run is still going ${OVERRUN_MS / 60_000} min after its duration: stuck`));
  }, args.durationMs + OVERRUN_MS);
  overrun.unref();
  const redis = await startRedis(args.topology);
  teardown.unshift(() => redis.stop());
  const mongo = await startMongoTarget();
  teardown.unshift(() => mongo.close());
  const database = await mongo.connect('soak');
  const repository = await createMongoAccessRepository(database);
  const keyPrefix = `soak${randomBytes(3).toString('hex')}`;
  let incarnation = 0;
  const instanceConfig = (): InstanceConfig => ({
    name: `i${incarnation++}`,
    redis: redis.connection,
    keyPrefix,
    mongoUri: mongo.uri,
    database: database.name,
    singleSocket: mongo.ferretDb,
    redisTimeoutMs: TIMING.redisTimeoutMs,
    loadTimeoutMs: TIMING.loadTimeoutMs,
    replayGraceMs: TIMING.replayGraceMs,
    replayIntervalMs: TIMING.replayIntervalMs,
    appServers: APP_SERVERS,
  });
  const onUnhandled = (message: string): void => checker.violation('unhandled', elapsed(), message);
  const instances: Instance[] = await Promise.all(
    Array.from({ length: args.instances }, () => Instance.start(instanceConfig(), onUnhandled)),
  );
  const counts = {
    ops: {} as Record<string, { ok: number; failed: number; killed: number }>,
    faults: { 'redis-pause': 0, 'redis-restart': 0, 'instance-kill': 0, 'slow-loader': 0 },
    moveReads: 0,
    steps: 0,
  };
  const countOp = (op: string, outcome: 'ok' | 'failed' | 'killed'): void => {
    const entry = (counts.ops[op] ??= { ok: 0, failed: 0, killed: 0 });
    entry[outcome] += 1;
  };
  const live = (): Instance[] => instances.filter((instance) => instance.running);
  const respawning = new Set<Promise<unknown>>();
  const replaced = new WeakSet<Instance>();
  /**
   * Starts a successor for a killed instance (once per instance, whatever noticed the death first).
   * A successor may fail to start while Redis is down or the host is saturated (a typed error): it is
   * retried with backoff until the run ends, never given up on; a run whose instances are all gone
   * waits for one.
   */
  const replace = (dead: Instance): void => {
    if (replaced.has(dead)) return;
    replaced.add(dead);
    checker.forgetInstance(dead.name);
    const index = instances.indexOf(dead);
    const task = (async () => {
      await dead.exited;
      for (let attempt = 1; !stopping; attempt += 1) {
        try {
          const successor = await Instance.start(instanceConfig(), onUnhandled);
          if (stopping) {
            successor.kill();
            return;
          }
          instances[index] = successor;
          return;
        } catch (error) {
          log(`successor of ${dead.name} did not start (attempt ${attempt}: ${String(error)}); retrying`);
          await sleep(Math.min(500 * attempt, 5_000));
        }
      }
    })();
    const settled = task.finally(() => respawning.delete(settled));
    respawning.add(settled);
  };

  const readDeadline = TIMING.loadTimeoutMs * 2 + 2_000; // past this a missing reply is a hang
  const readAll = async (final = false): Promise<void> => {
    const expected = await truth(repository);
    await Promise.all(
      live().flatMap((instance) =>
        USERS.map(async (userId) => {
          // The answer shows the cache as it was at some moment of the read, no earlier than its
          // start: a divergence is dated by the read's start, not its end (a read that waited on a
          // slow loader would otherwise stretch it by the wait).
          const readStartedAt = elapsed();
          const reply = await instance.request({ op: 'read', userId }, readDeadline);
          if (!reply.ok && (reply.code === 'KILLED' || !instance.running)) return;
          if (!reply.ok && reply.code === 'NO_REPLY') {
            checker.violation(
              'deadline',
              elapsed(),
              `${instance.name} read of ${userId}: no reply in ${readDeadline} ms`,
            );
          }
          const result: ReadResult = reply.ok
            ? { ok: true, ms: reply.ms, servers: reply.servers ?? [] }
            : { ok: false, ms: reply.ms, code: reply.code, message: reply.message };
          checker.observeRead(instance.name, userId, result, expected.get(userId) ?? new Map(), readStartedAt, final);
        }),
      ),
    );
  };

  // Seed: half the names, each private to a few users; two of them shared.
  const seeder = instances[0];
  if (!seeder) throw new Error('no instance');
  for (const name of SERVER_NAMES.slice(0, SERVER_NAMES.length / 2)) {
    const reply = await seeder.request(
      { op: 'create', name, url: `http://127.0.0.1:9/${name}/v0`, userIds: random.subset(USERS, 4) },
      ADMIN_DEADLINE_MS,
    );
    if (!reply.ok) throw new Error(`seeding ${name}: ${reply.code} ${reply.message}`);
  }
  for (const name of SERVER_NAMES.slice(0, 2)) await seeder.request({ op: 'promote', name }, ADMIN_DEADLINE_MS);

  const deadline = startedAt + args.durationMs;
  let running = true;

  const faults = (async () => {
    while (Date.now() < deadline - 3_000) {
      await sleep(random.int(2_000, 6_000)); // the fault schedule itself
      if (Date.now() >= deadline - 3_000) break;
      if (live().length === 0) continue;
      const kind = random.pick(['redis-pause', 'redis-restart', 'slow-loader'] as const);
      counts.faults[kind] += 1;
      if (kind === 'slow-loader') {
        const target = random.pick(live());
        checker.faultStarted('slow-loader');
        log(`fault: slow loader on ${target.name}`);
        await target.request({ op: 'slow', loaderDelayMs: TIMING.loadTimeoutMs }, 5_000);
        await sleep(random.int(2_000, 6_000));
        await target.request({ op: 'slow', loaderDelayMs: 0 }, 5_000);
        checker.faultEnded('slow-loader', elapsed());
        continue;
      }
      const node = random.pick(redis.nodes);
      checker.faultStarted('redis');
      if (kind === 'redis-pause') {
        const pauseMs = random.int(300, 3_000);
        log(`fault: redis :${node.port} paused ${pauseMs} ms`);
        node.pause();
        await sleep(pauseMs);
        node.resume();
      } else {
        log(`fault: redis :${node.port} killed and restarted (empty)`);
        await node.kill();
        await sleep(random.int(100, 1_500));
        await node.restart();
        await redis.healthy();
      }
      checker.faultEnded('redis', elapsed());
    }
  })();

  const samples = (async () => {
    while (running) {
      await Promise.all(
        live().map(async (instance) => {
          const reply = await instance.request({ op: 'sample' }, 10_000);
          if (reply.ok && reply.sample) checker.sample(instance.name, elapsed(), reply.sample);
        }),
      );
      await sleep(SAMPLE_EVERY_MS);
    }
  })();

  /** One admin operation on one instance; SIGKILLs it mid-operation now and then. */
  const admin = async (
    op: string,
    command: Command,
    during?: (finished: Promise<unknown>) => Promise<void>,
  ): Promise<Reply> => {
    const instance = random.pick(live());
    const kill = random.chance(KILL_PROBABILITY);
    const killAfter = random.int(0, 60);
    const request = instance.request(command, ADMIN_DEADLINE_MS);
    if (VERBOSE) log(`${instance.name} ${op} ${JSON.stringify(command)}`);
    if (kill) {
      counts.faults['instance-kill'] += 1;
      setTimeout(() => {
        // The operation may have finished first: the kill lands anyway (a crash right after a
        // change), and the instance is replaced either way.
        log(`fault: SIGKILL ${instance.name} ${killAfter} ms into ${op}`);
        instance.kill();
        replace(instance);
      }, killAfter);
    }
    const watching = during?.(request);
    const reply = await request;
    await watching;
    if (reply.ok) countOp(op, 'ok');
    else if (reply.code === 'KILLED') {
      countOp(op, 'killed');
      replace(instance);
    } else {
      countOp(op, 'failed');
      if (reply.code === 'UNTYPED') checker.violation('untyped-error', elapsed(), `${op}: ${reply.message}`);
      if (reply.code === 'NO_REPLY')
        checker.violation('deadline', elapsed(), `${instance.name} ${op}: ${reply.message}`);
    }
    return reply;
  };

  /**
   * A promote or demote with reads of the affected users on the other instances while it runs: a
   * reader who saw the server just before the move must see it in every read during it and in one
   * round after it returned. Strict only for a move that succeeded with no Redis fault meanwhile (an
   * interrupted move is finished by a replay: the bound applies, checked by every step's reads).
   */
  const move = async (
    op: 'promote' | 'demote',
    name: string,
    users: readonly string[],
    command: Command,
  ): Promise<void> => {
    const watchers: Array<{ instance: Instance; userId: string }> = [];
    await Promise.all(
      live().flatMap((instance) =>
        users.map(async (userId) => {
          const reply = await instance.request({ op: 'read', userId }, readDeadline);
          if (reply.ok && reply.servers?.some((server) => server.name === name)) watchers.push({ instance, userId });
        }),
      ),
    );
    const hidden: string[] = [];
    // Clients reconnect after a Redis fault ends (each on its own schedule), and until they all have,
    // an instance may serve a private tier from its stale-while-unavailable copy: such a move gets the bound.
    const faultedRecently = (): boolean => checker.recentFault('redis', elapsed(), BOUND_MS);
    let faulted = faultedRecently();
    const watch = async (finished: Promise<unknown>): Promise<void> => {
      let returned = false;
      void finished.then(() => (returned = true));
      while (watchers.length > 0) {
        const last = returned; // a round that starts after the move returned is the last
        await Promise.all(
          watchers.map(async ({ instance, userId }) => {
            if (!instance.running) return;
            const reply = await instance.request({ op: 'read', userId }, readDeadline);
            counts.moveReads += 1;
            if (faultedRecently()) faulted = true;
            if (reply.ok && !(reply.servers ?? []).some((server) => server.name === name)) {
              hidden.push(`${op} ${name}: ${instance.name} did not show it to ${userId}`);
            }
          }),
        );
        if (last) return;
        await sleep(5); // pacing: readers at full speed would starve the move itself of CPU
      }
    };
    const reply = await admin(op, command, watch);
    if (reply.ok && !faulted) for (const detail of hidden) checker.violation('move-hid', elapsed(), detail);
  };

  log('running');
  while (Date.now() < deadline) {
    if (live().length === 0) {
      if (respawning.size === 0) throw new Error('every instance is gone and none is being replaced');
      await Promise.race(respawning); // every instance was killed: wait for a successor
      continue;
    }
    counts.steps += 1;
    const definitions = await repository.list();
    const existing = new Set(definitions.map((definition) => definition.name));
    const shared = definitions.filter((definition) =>
      definition.grants.some((grant) => grant.principal.type === 'public'),
    );
    const privates = definitions.filter((definition) => !shared.includes(definition));
    const usersOf = (name: string): string[] =>
      definitions
        .find((definition) => definition.name === name)
        ?.grants.flatMap((grant) => (grant.principal.type === 'user' ? [grant.principal.id] : [])) ?? [];
    const kind = random.pick([
      'login',
      'login',
      'grant',
      'grant',
      'grant',
      'revoke',
      'revoke',
      'revoke',
      'promote',
      'demote',
      'update',
      'update',
      'delete',
      'create',
    ] as const);
    const version = `v${counts.steps}`;
    if (kind === 'login') {
      const instance = random.pick(live());
      const userId = random.pick(USERS);
      const reply = await instance.request({ op: 'login', userId }, readDeadline);
      countOp('login', reply.ok ? 'ok' : 'failed');
      checker.timed(`${instance.name} login of ${userId}`, reply.ms, elapsed());
      if (!reply.ok && reply.code === 'UNTYPED')
        checker.violation('untyped-error', elapsed(), `login: ${reply.message}`);
    } else if ((kind === 'grant' || kind === 'revoke') && privates.length > 0) {
      const server = random.pick(privates);
      const holders = usersOf(server.name);
      const next =
        kind === 'grant'
          ? [...new Set([...holders, random.pick(USERS)])]
          : holders.filter((userId) => userId !== (holders.length > 0 ? random.pick(holders) : undefined));
      await admin(kind, { op: 'setUsers', name: server.name, userIds: next });
    } else if (kind === 'promote' && privates.length > 0) {
      const server = random.pick(privates);
      await move('promote', server.name, usersOf(server.name), { op: 'promote', name: server.name });
    } else if (kind === 'demote' && shared.length > 0) {
      const server = random.pick(shared);
      const users = random.subset(USERS, 4);
      await move('demote', server.name, users, { op: 'demote', name: server.name, userIds: users });
    } else if (kind === 'update' && definitions.length > 0) {
      const server = random.pick(definitions);
      await admin('update', { op: 'update', name: server.name, url: `http://127.0.0.1:9/${server.name}/${version}` });
    } else if (kind === 'delete' && definitions.length > SERVER_NAMES.length / 3) {
      await admin('delete', { op: 'delete', name: random.pick(definitions).name });
    } else if (kind === 'create') {
      const free = SERVER_NAMES.filter((name) => !existing.has(name));
      if (free.length > 0) {
        const name = random.pick(free);
        await admin('create', {
          op: 'create',
          name,
          url: `http://127.0.0.1:9/${name}/${version}`,
          userIds: random.subset(USERS, 4),
        });
      }
    }
    await readAll();
  }

  running = false;
  stopping = true;
  log(`${counts.steps} steps done; waiting for the fault schedule and samplers`);
  await faults;
  await samples;
  await Promise.all(respawning);
  // Quiet: every cache must agree with the database once the bound has passed since the last fault.
  log(`quiescing ${BOUND_MS} ms`);
  await sleep(BOUND_MS);
  await readAll(true);
  checker.finish(elapsed());

  log('closing instances');
  // Every instance closes and must then exit by itself (no process.exit in it).
  await Promise.all(
    instances.map(async (instance) => {
      if (!instance.running) return;
      await instance.request({ op: 'close' }, 15_000);
      const exited = await Promise.race([instance.exited.then(() => true), sleep(5_000).then(() => false)]);
      if (!exited) {
        checker.violation('no-exit', elapsed(), `${instance.name} did not exit within 5 s of close()`);
        instance.kill();
      }
    }),
  );
  teardown.length = 0;
  await mongo.close(); // drops the run's database and closes the connection
  await redis.stop();
  clearTimeout(overrun);

  const summary = {
    soak: args.topology,
    seed: args.seed,
    durationS: Math.round(elapsed() / 1000),
    instances: args.instances,
    steps: counts.steps,
    ops: counts.ops,
    faults: counts.faults,
    reads: checker.counts.reads,
    readErrors: checker.counts.readErrors,
    excusedErrors: checker.counts.excusedErrors,
    transientDivergences: checker.counts.divergencesSeen,
    moveReads: counts.moveReads,
    maxReadMs: Math.round(checker.counts.maxReadMs),
    boundMs: BOUND_MS,
    processes: summarizeProcesses(checker.sampleSummary()),
    violations: checker.violations.length,
  };
  process.stdout.write(`${formatSummary(summary, checker.violations)}\n`);
  process.stdout.write(`${JSON.stringify(summary)}\n`);
  if (checker.violations.length > 0) {
    process.stdout.write(
      `FAILED: ${checker.violations.length} violations; reproduce the run's choices with --seed ${args.seed} --topology ${args.topology}\n`,
    );
    process.exitCode = 1;
  }
}

/**
 * One line for every instance process of the run (a long run replaces hundreds): how many were
 * sampled, the heap range over all samples' first and last values, the largest growth of one
 * process, and the largest handle count. The checker judges each process on its own samples.
 */
function summarizeProcesses(
  perProcess: Record<string, { samples: number; heapMb: [number, number]; resources: [number, number] }>,
): Record<string, number | [number, number]> {
  const entries = Object.values(perProcess);
  if (entries.length === 0) return { processes: 0 };
  const heaps = entries.flatMap((entry) => entry.heapMb);
  const round = (value: number) => Math.round(value * 10) / 10;
  return {
    processes: entries.length,
    samples: entries.reduce((sum, entry) => sum + entry.samples, 0),
    mostSamplesOfOne: Math.max(...entries.map((entry) => entry.samples)),
    heapMb: [Math.min(...heaps), Math.max(...heaps)],
    maxHeapGrowthMb: round(Math.max(...entries.map((entry) => entry.heapMb[1] - entry.heapMb[0]))),
    maxResources: Math.max(...entries.flatMap((entry) => entry.resources)),
  };
}

function formatSummary(
  summary: Record<string, unknown>,
  violations: ReadonlyArray<{ kind: string; at: number; detail: string }>,
): string {
  const lines = Object.entries(summary).map(([key, value]) => `  ${key.padEnd(22)} ${JSON.stringify(value)}`);
  const shown = violations
    .slice(0, 30)
    .map((violation) => `  ✗ ${(violation.at / 1000).toFixed(1)}s ${violation.kind}: ${violation.detail}`);
  return ['soak summary', ...lines, ...(violations.length > 0 ? ['violations:', ...shown] : ['no violations'])].join(
    '\n',
  );
}

/**
 * A run that failed (or is stuck) kills every instance process, stops its Redis and MongoDB, and
 * exits 2: the fault and sampler loops may still be sleeping, and nothing of the run may outlive it.
 */
let failing = false;
function fail(error: unknown): void {
  if (failing) return;
  failing = true;
  stopping = true;
  process.stderr.write(`soak failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  for (const child of children) child.kill('SIGKILL');
  void (async () => {
    for (const step of teardown) {
      await Promise.race([step().catch(() => undefined), sleep(15_000)]);
    }
    process.exit(2);
  })();
}

// A defect of the driver itself (a throw in a callback) fails the run the same way: torn down, exit 2.
process.on('uncaughtException', fail);
process.on('unhandledRejection', fail);
main().catch(fail);
