import { availableParallelism, loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import type Redis from 'ioredis';
import type { Connection } from 'mongoose';
import {
  createModels,
  createMongoAccessRepository,
  type Models,
  type MongoAccessRepository,
} from '../packages/data-schemas/src/index';
import { createStrata, PERMISSION, type Grant, type KeyBuilder } from '../packages/registry/src/internals';
import {
  generateDataset,
  REQUESTED_SIZE,
  scaledSize,
  seedDataset,
  SHAPE,
  type Dataset,
  type SeedTiming,
} from './lib/access-dataset';
import { meterRepository } from './lib/metered-repository';
import { startMongoTarget, type MongoTarget } from './lib/mongo-target';
import { summarize, type Percentiles } from './lib/percentiles';
import { captureQueries, describeFilter, explainQuery, type CapturedQuery, type QueryPlan } from './lib/query-plans';
import { startRedisTarget, type RedisTarget } from './lib/redis-target';
import { formatTable } from './lib/table';
import { timedLoop } from './lib/timed-loop';

/** Timed calls of each measurement (after the untimed warm-up calls). */
const LOADER = { calls: 200, warmup: 3 } as const;
const HOLDERS = { calls: 50, warmup: 2 } as const;
const FIND_ONE = { calls: 500, warmup: 50 } as const;
const REDIS_GET = { calls: 2_000, warmup: 200 } as const;
/** Timed `setAccess` calls, alternating grant / revoke of the group. */
const GRANT_RUNS = 10;
/** Members' logins in flight at once (the loader's finds still queue on a one-socket connection). */
const LOGIN_CONCURRENCY = 8;
/** Calls of the loader and of the holders' query timed on a data set before measuring on it (its scale decided by them). */
const PROBE_CALLS = 3;
/**
 * The measurements (loader calls, logins, holders, grants) must fit in this. The data set is first
 * seeded at the requested size and probed; while the probe projects more, it is seeded again at
 * the next of {@link SCALES} that the projection says fits, and probed again.
 * `DATA_BENCH_SCALE=<0..1>` forces a scale instead (1 = the requested size, however long it takes).
 */
const BUDGET_MS = 180_000;
const SCALES = [1, 1 / 2, 1 / 4, 1 / 10, 1 / 20, 1 / 40, 1 / 100] as const;
/** One grant run costs about this many holders' calls (~16 reads of the ACL entries; 6 to 9 measured on FerretDB). */
const GRANT_IN_HOLDERS_CALLS = 9;
const SCALE_ENV = 'DATA_BENCH_SCALE';
/**
 * Server-side deadline of the repository's operations (its default is 5 s): on FerretDB every one
 * of these finds scans its whole collection, several seconds each at the requested size.
 */
const REPOSITORY_MAX_TIME_MS = 60_000;
/** Deadline of every Redis call of the bench's Strata. */
const REDIS_TIMEOUT_MS = 10_000;
/** How long to wait for a change's `access.changed` events after `setAccess` resolved. */
const EVENT_WAIT_MS = 3_000;

/** The MongoDB access repository under load: the loader's query, the holders' query, a group grant end to end. */
export async function run(): Promise<void> {
  progress('starting MongoDB (harness startMongo: MONGO_URI, else mongodb-memory-server, else FerretDB)...');
  const mongo = await startMongoTarget();
  try {
    progress(`MongoDB: ${mongo.name}${mongo.ferretDb ? ' — connections with maxPoolSize 1' : ''}`);
    const redis = await startRedisTarget();
    try {
      if (redis.external) progress('using external Redis at REDIS_URI (other clients skew the times)');
      const sizing = await prepare(mongo);
      const measured = await measure(redis, sizing);
      report(mongo, sizing, measured);
    } finally {
      await redis.close();
    }
  } finally {
    progress('dropping the bench databases, stopping the servers...');
    await mongo.close();
  }
}

// --- sizing and seeding --------------------------------------------------------------------------

interface Seeded {
  readonly scale: number;
  readonly dataset: Dataset;
  readonly seeding: readonly SeedTiming[];
  readonly seedMs: number;
}

/** A few calls on a seeded data set, and what the measurements would take on it. */
interface Probe {
  readonly scale: number;
  readonly seeded: Seeded;
  readonly loaderMs: readonly number[];
  readonly holdersMs: readonly number[];
  readonly projectedMs: number;
}

interface Sizing {
  readonly scale: number;
  /** Set by `DATA_BENCH_SCALE`. */
  readonly forced: boolean;
  /** Every data set seeded and probed, the measured one last (none when forced). */
  readonly probes: readonly Probe[];
  /** The data set measured (and its seeding). */
  readonly seeded: Seeded;
  readonly connection: Connection;
  readonly repository: MongoAccessRepository;
  readonly models: Models;
}

function forcedScale(): number | undefined {
  const raw = process.env[SCALE_ENV];
  if (raw === undefined || raw === '') return undefined;
  const scale = Number(raw);
  if (!(scale > 0 && scale <= 1)) throw new Error(`${SCALE_ENV} must be a number in (0, 1], not "${raw}"`);
  return scale;
}

async function open(
  mongo: MongoTarget,
  label: string,
): Promise<{ connection: Connection; repository: MongoAccessRepository; models: Models }> {
  const connection = await mongo.connect(label);
  // Creates every collection and index and waits for them; createModels then returns the models it compiled.
  const repository = await createMongoAccessRepository(connection, { maxTimeMs: REPOSITORY_MAX_TIME_MS });
  return { connection, repository, models: createModels(connection) };
}

async function seed(models: Models, scale: number): Promise<Seeded> {
  const size = scaledSize(scale);
  const dataset = generateDataset(size);
  const label = scale === 1 ? 'the requested size' : `scale ${fraction(scale)}`;
  progress(
    `seeding ${label}: ${count(size.servers)} servers, ${count(dataset.entries.length)} ACL entries, ` +
      `${count(size.groups)} groups (${count(dataset.counts.memberships)} memberships)...`,
  );
  const startedAt = performance.now();
  const seeding = await seedDataset(models, dataset);
  const seedMs = performance.now() - startedAt;
  for (const timing of seeding) {
    progress(`  ${timing.collection}: ${count(timing.documents)} in ${ms(timing.ms)} (${rate(timing)} docs/s)`);
  }
  return { scale, dataset, seeding, seedMs };
}

/**
 * What the measurements take, in calls of the loader and of the holders' query: the loader's calls
 * and the members' logins (one loader call each), the holders' calls, and the grant runs.
 */
function projectMs(loaderMs: number, holdersMs: number): number {
  const loaderCalls = LOADER.calls + LOADER.warmup + SHAPE.grantGroupMembers;
  const holdersCalls = HOLDERS.calls + HOLDERS.warmup + GRANT_RUNS * GRANT_IN_HOLDERS_CALLS;
  return loaderCalls * loaderMs + holdersCalls * holdersMs;
}

async function probe(repository: MongoAccessRepository, seeded: Seeded, scale: number): Promise<Probe> {
  progress(`probe at scale ${fraction(scale)}: ${PROBE_CALLS} loader calls, ${PROBE_CALLS} holders' calls...`);
  const loaderMs: number[] = [];
  const holdersMs: number[] = [];
  for (let i = 0; i < PROBE_CALLS; i += 1) loaderMs.push((await timeLoader(repository, seeded.dataset)).ms);
  for (let i = 0; i < PROBE_CALLS; i += 1) holdersMs.push((await timeHolders(repository, seeded.dataset)).totalMs);
  const projectedMs = projectMs(summarize(loaderMs).p50, summarize(holdersMs).p50);
  progress(
    `  loader ${list(loaderMs)} ms, holders ${list(holdersMs)} ms: measurements ≈ ${minutes(projectedMs)} ` +
      `(budget ${minutes(BUDGET_MS)})`,
  );
  return { scale, seeded, loaderMs, holdersMs, projectedMs };
}

async function prepare(mongo: MongoTarget): Promise<Sizing> {
  const forced = forcedScale();
  if (forced !== undefined) {
    progress(`${SCALE_ENV}=${forced}: no probe`);
    const opened = await open(mongo, 'data');
    const seeded = await seed(opened.models, forced);
    return { scale: forced, forced: true, probes: [], seeded, ...opened };
  }
  const probes: Probe[] = [];
  let index = 0;
  for (;;) {
    const scale = SCALES[index] ?? 1;
    const opened = await open(mongo, scale === 1 ? 'full' : 'scaled');
    const seeded = await seed(opened.models, scale);
    const probed = await probe(opened.repository, seeded, scale);
    probes.push(probed);
    if (probed.projectedMs <= BUDGET_MS) {
      progress(`measuring at scale ${fraction(scale)}`);
      return { scale, forced: false, probes, seeded, ...opened };
    }
    if (index === SCALES.length - 1) {
      progress(`the smallest scale ${fraction(scale)} is projected over budget: measuring at it anyway`);
      return { scale, forced: false, probes, seeded, ...opened };
    }
    // The first smaller scale the linear projection fits (costs shrink more slowly: the shapes are kept).
    const next = SCALES.findIndex((candidate, i) => i > index && (probed.projectedMs * candidate) / scale <= BUDGET_MS);
    index = next === -1 ? SCALES.length - 1 : next;
    await mongo.release(opened.connection);
  }
}

// --- measured operations -------------------------------------------------------------------------

async function timeLoader(repository: MongoAccessRepository, dataset: Dataset): Promise<{ ms: number }> {
  const startedAt = performance.now();
  const servers = await repository.serversForUser(dataset.loaderUser);
  const elapsed = performance.now() - startedAt;
  if (servers.length !== dataset.loaderServers) {
    throw new Error(`serversForUser returned ${servers.length} servers, the data set gives ${dataset.loaderServers}`);
  }
  return { ms: elapsed };
}

interface HoldersCall {
  readonly totalMs: number;
  readonly principalsMs: number;
  readonly usersMs: number;
}

async function timeHolders(repository: MongoAccessRepository, dataset: Dataset): Promise<HoldersCall> {
  const startedAt = performance.now();
  const principals = await repository.principalsOf(dataset.holdersServer);
  const between = performance.now();
  const users = await repository.usersOf(principals);
  const endedAt = performance.now();
  if (principals.length !== dataset.holdersPrincipals || users.length !== dataset.holders) {
    throw new Error(`holders' query: ${principals.length} principals, ${users.length} users`);
  }
  return { totalMs: endedAt - startedAt, principalsMs: between - startedAt, usersMs: endedAt - between };
}

interface GrantRun {
  readonly run: number;
  readonly action: 'grant' | 'revoke';
  readonly ms: number;
  /** Time with a repository call in flight (the database part). */
  readonly databaseMs: number;
  readonly repositoryCalls: number;
  readonly invalidated: number;
  readonly cachedBefore: number;
  readonly cachedAfter: number;
}

interface Measured {
  readonly findOne: Percentiles;
  readonly loader: Percentiles;
  readonly holders: Percentiles;
  readonly holdersPrincipals: Percentiles;
  readonly holdersUsers: Percentiles;
  readonly plans: ReadonlyArray<{ readonly label: string; readonly query: CapturedQuery; readonly plan: QueryPlan }>;
  readonly startMs: number;
  readonly loginMs: number;
  readonly loginLoaderCalls: number;
  readonly redisGet: Percentiles;
  readonly runs: readonly GrantRun[];
  readonly grant: Percentiles;
  readonly callsPerGrant: string;
  readonly protocolMs: number;
}

async function measure(redis: RedisTarget, sizing: Sizing): Promise<Measured> {
  const { repository, models, connection } = sizing;
  const { dataset } = sizing.seeded;
  const startedAt = performance.now();

  progress(`baseline: ${FIND_ONE.calls} findOne({ _id }) on the repository's connection...`);
  const anyServer = await models.McpServer.findOne({ name: dataset.holdersServer }, { _id: 1 }).lean().exec();
  if (!anyServer) throw new Error(`${dataset.holdersServer} was not seeded`);
  const findOneById = () => models.McpServer.findOne({ _id: anyServer._id }).lean().exec();
  const findOne = await latency(findOneById, FIND_ONE);

  progress(`loader: ${LOADER.calls} serversForUser(${dataset.loaderUser})...`);
  let loaderCalls = 0;
  const loader = await latency(async () => {
    await timeLoader(repository, dataset);
    loaderCalls += 1;
    if (loaderCalls > LOADER.warmup && (loaderCalls - LOADER.warmup) % 50 === 0) {
      progress(`  ${loaderCalls - LOADER.warmup} calls`);
    }
  }, LOADER);

  progress(`holders: ${HOLDERS.calls} usersOf(await principalsOf(${dataset.holdersServer}))...`);
  const holderCalls: HoldersCall[] = [];
  for (let i = 0; i < HOLDERS.warmup + HOLDERS.calls; i += 1) {
    const call = await timeHolders(repository, dataset);
    if (i >= HOLDERS.warmup) holderCalls.push(call);
    if (i >= HOLDERS.warmup && (i + 1 - HOLDERS.warmup) % 10 === 0) progress(`  ${i + 1 - HOLDERS.warmup} calls`);
  }

  progress('query plans: explain(queryPlanner) of the finds each measured call sends...');
  const plans = await explainAll(connection, [
    ['baseline', findOneById],
    ['loader', () => repository.serversForUser(dataset.loaderUser)],
    ['holders', async () => repository.usersOf(await repository.principalsOf(dataset.holdersServer))],
  ]);

  const grants = await measureGrants(redis, sizing);
  return {
    findOne,
    loader,
    holders: summarize(holderCalls.map((call) => call.totalMs)),
    holdersPrincipals: summarize(holderCalls.map((call) => call.principalsMs)),
    holdersUsers: summarize(holderCalls.map((call) => call.usersMs)),
    plans,
    ...grants,
    protocolMs: performance.now() - startedAt,
  };
}

/** Sequential calls, latency in ms (the shared timed loop records µs). */
async function latency(
  call: (iteration: number) => Promise<unknown>,
  plan: { readonly calls: number; readonly warmup: number },
): Promise<Percentiles> {
  const loop = await timedLoop(call, { minIterations: plan.calls, warmupIterations: plan.warmup, recordLatency: true });
  const us = loop.latencyUs;
  if (!us) throw new Error('no latencies recorded');
  return { count: us.count, p50: us.p50 / 1_000, p99: us.p99 / 1_000, max: us.max / 1_000, mean: us.mean / 1_000 };
}

async function explainAll(
  connection: Connection,
  calls: ReadonlyArray<readonly [string, () => Promise<unknown>]>,
): Promise<Measured['plans']> {
  const plans: Array<Measured['plans'][number]> = [];
  for (const [label, call] of calls) {
    const queries = await captureQueries(connection, call);
    for (const [index, query] of queries.entries()) {
      plans.push({
        label: `${label} ${index + 1}/${queries.length}`,
        query,
        plan: await explainQuery(connection, query),
      });
    }
  }
  return plans;
}

/** How many of `users` have a cached private entry (the loaded flag and servers: one key). */
async function countCached(client: Redis, keys: KeyBuilder, users: readonly string[]): Promise<number> {
  const pipeline = client.pipeline();
  users.forEach((user) => pipeline.exists(keys.userKey(user, 'servers')));
  let found = 0;
  for (const [error, exists] of (await pipeline.exec()) ?? []) {
    if (error) throw error;
    found += Number(exists);
  }
  return found;
}

async function measureGrants(
  redis: RedisTarget,
  sizing: Sizing,
): Promise<
  Pick<Measured, 'startMs' | 'loginMs' | 'loginLoaderCalls' | 'redisGet' | 'runs' | 'grant' | 'callsPerGrant'>
> {
  const { dataset } = sizing.seeded;
  const members = dataset.grantGroupMembers;
  // The replayer's background poll is not part of a grant: not metered.
  const { repository, meter } = meterRepository(sizing.repository, new Set(['claimStaleChanges']));
  const strata = await createStrata({
    redis: { url: redis.url },
    repository,
    keyPrefix: redis.newKeyPrefix(),
    redisTimeoutMs: REDIS_TIMEOUT_MS,
    startTimeoutMs: 10 * REPOSITORY_MAX_TIME_MS,
  });
  const invalidated = new Set<string>();
  const unsubscribe = strata.subscribe((event) => {
    if (event.type === 'access.changed') event.userIds.forEach((id) => invalidated.add(id));
  });
  try {
    progress('grant: strata.start()...');
    let startedAt = performance.now();
    await strata.start();
    const startMs = performance.now() - startedAt;

    progress(`grant: logging in the ${members.length} members of ${dataset.grantGroup}...`);
    const control = await redis.connect();
    const loaderCallsBefore = strata.stats().privateTier.loaderCalls;
    startedAt = performance.now();
    let next = 0;
    let done = 0;
    const worker = async () => {
      while (next < members.length) {
        const member = members[next] ?? '';
        next += 1;
        await strata.login(member);
        done += 1;
        if (done % 100 === 0) progress(`  ${done} logins`);
      }
    };
    await Promise.all(Array.from({ length: LOGIN_CONCURRENCY }, worker));
    const loginMs = performance.now() - startedAt;
    const loginLoaderCalls = strata.stats().privateTier.loaderCalls - loaderCallsBefore;
    const cached = await countCached(control, strata.backend.keys, members);
    if (cached !== members.length)
      throw new Error(`after the logins ${cached} of ${members.length} members are cached`);

    progress(`baseline: ${REDIS_GET.calls} Redis GETs...`);
    const getKey = `{${redis.newKeyPrefix()}:raw}:value`;
    await control.set(getKey, JSON.stringify({ name: dataset.grantServer, config: sizing.seeded.dataset.servers[1] }));
    const redisGet = await latency(() => control.get(getKey), REDIS_GET);

    const existing = (await strata.admin.getServer(dataset.grantServer))?.grants ?? [];
    const groupGrant: Grant = { principal: { type: 'group', id: dataset.grantGroup }, bits: PERMISSION.VIEW };
    const runs: GrantRun[] = [];
    const callTotals = new Map<string, number>();
    for (let run = 1; run <= GRANT_RUNS; run += 1) {
      const action = run % 2 === 1 ? 'grant' : 'revoke';
      progress(`grant ${run}/${GRANT_RUNS}: setAccess(${dataset.grantServer}) ${action} ${dataset.grantGroup}...`);
      const cachedBefore = await countCached(control, strata.backend.keys, members);
      invalidated.clear();
      meter.reset();
      startedAt = performance.now();
      await strata.admin.setAccess(dataset.grantServer, {
        grants: action === 'grant' ? [...existing, groupGrant] : existing,
      });
      const elapsed = performance.now() - startedAt;
      const databaseMs = meter.busyMs();
      const calls = meter.calls();
      await waitFor(() => invalidated.size >= members.length, EVENT_WAIT_MS);
      calls.forEach((value, method) => callTotals.set(method, (callTotals.get(method) ?? 0) + value));
      runs.push({
        run,
        action,
        ms: elapsed,
        databaseMs,
        repositoryCalls: [...calls.values()].reduce((sum, value) => sum + value, 0),
        invalidated: invalidated.size,
        cachedBefore,
        cachedAfter: await countCached(control, strata.backend.keys, members),
      });
    }
    const callsPerGrant = [...callTotals.entries()]
      .map(([method, total]) => `${method} ${total / GRANT_RUNS}`)
      .join(', ');
    return {
      startMs,
      loginMs,
      loginLoaderCalls,
      redisGet,
      runs,
      grant: summarize(runs.map((run) => run.ms)),
      callsPerGrant,
    };
  } finally {
    unsubscribe();
    await strata.close();
  }
}

async function waitFor(condition: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!condition() && performance.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 5));
}

// --- report --------------------------------------------------------------------------------------

function report(mongo: MongoTarget, sizing: Sizing, measured: Measured): void {
  const { dataset } = sizing.seeded;
  const full = sizing.probes.find((probe) => probe.scale === 1);
  const size = dataset.size;
  const loaderServers = dataset.loaderServers;
  const loaderRatio = measured.loader.p50 / measured.findOne.p50;
  const grantRatio = measured.grant.p50 / measured.redisGet.p50;
  const scaled = sizing.scale < 1;
  const invalidated = measured.runs.map((run) => run.invalidated);

  console.log(`\ndata: MongoAccessRepository — loader, holders' query, a group grant end to end (Strata + Redis)`);
  const load = loadavg()
    .map((value) => value.toFixed(2))
    .join(' ');
  console.log(`host: ${availableParallelism()} CPUs, load average ${load}`);
  console.log(`MongoDB server: ${mongo.name}`);
  console.log(
    mongo.ferretDb
      ? '  FerretDB loses concurrent updates across connections: every bench connection has ONE socket (maxPoolSize 1),\n' +
          "  so the repository's finds (and the members' logins) queue one at a time on it."
      : `  connection pool: the driver's default (maxPoolSize ${mongo.maxPoolSize ?? 'default'})`,
  );
  console.log(`repository: createMongoAccessRepository(connection, { maxTimeMs: ${count(REPOSITORY_MAX_TIME_MS)} })`);

  console.log('\nsizes:\n');
  console.log(
    formatTable(
      ['', 'requested', 'measured'],
      [
        ['servers', count(REQUESTED_SIZE.servers), count(size.servers)],
        ['ACL entries', count(REQUESTED_SIZE.entries), count(dataset.entries.length)],
        ['groups (up to 500 members)', count(REQUESTED_SIZE.groups), count(size.groups)],
        [
          'group memberships',
          full ? count(full.seeded.dataset.counts.memberships) : '-',
          count(dataset.counts.memberships),
        ],
        ["groups of the loader's user", String(SHAPE.userGroups), String(SHAPE.userGroups)],
        [
          'servers it may see (serversForUser)',
          full ? count(full.seeded.dataset.loaderServers) : '-',
          count(dataset.loaderServers),
        ],
        [`holders of ${dataset.holdersServer}`, count(dataset.holders), count(dataset.holders)],
        [`members of ${dataset.grantGroup} (the grant)`, count(SHAPE.grantGroupMembers), count(members(dataset))],
      ],
    ),
  );
  const c = dataset.counts;
  console.log(
    `\nmeasured data set: ${count(c.userGrants)} user grants, ${count(c.groupGrants)} group grants, ` +
      `${c.publicGrants} public, ${count(c.tombstones)} tombstones (bits 0); ${c.fullGroups} groups of exactly 500`,
  );
  if (sizing.forced) console.log(`\nscale ${fraction(sizing.scale)} forced by ${SCALE_ENV}`);
  else {
    console.log(
      `\nprobes (${PROBE_CALLS} calls each on a freshly seeded data set; measurements projected from their medians, ` +
        `budget ${minutes(BUDGET_MS)}):\n`,
    );
    console.log(
      formatTable(
        ['scale', 'servers / entries / groups', 'serversForUser', "holders' query", 'measurements would take'],
        sizing.probes.map((probe) => [
          fraction(probe.scale),
          `${count(probe.seeded.dataset.size.servers)} / ${count(probe.seeded.dataset.entries.length)} / ` +
            count(probe.seeded.dataset.size.groups),
          `${list(probe.loaderMs)} ms`,
          `${list(probe.holdersMs)} ms`,
          `≈ ${minutes(probe.projectedMs)}${probe.projectedMs > BUDGET_MS ? ' (over budget)' : ''}`,
        ]),
      ),
    );
    console.log(
      scaled
        ? `\nSCALED DOWN to ${fraction(sizing.scale)} of the requested servers, entries and groups (the shapes above ` +
            `kept): the requested size does not fit the budget. ${SCALE_ENV}=1 forces it (or e.g. ${SCALE_ENV}=0.1).`
        : '\nmeasured at the requested size.',
    );
  }

  console.log('\n1. seeding: bulk insertMany straight through the models (createModels), not the repository\n');
  const seedRows = (label: string, seeded: Seeded) => [
    ...seeded.seeding.map((timing) => [label, timing.collection, count(timing.documents), ms(timing.ms), rate(timing)]),
    [label, 'total (with the counter)', '', ms(seeded.seedMs), ''],
  ];
  const seeded = sizing.probes.length > 0 ? sizing.probes.map((probe) => probe.seeded) : [sizing.seeded];
  console.log(
    formatTable(
      ['data set', 'collection', 'documents', 'time', 'docs/s'],
      seeded.flatMap((one) => seedRows(one.scale === 1 ? 'requested size' : `scale ${fraction(one.scale)}`, one)),
    ),
  );

  console.log(`\n2.-4. measured on the ${scaled ? `scale ${fraction(sizing.scale)}` : 'requested-size'} data set\n`);
  const p = (value: Percentiles) => `${ms(value.p50)} / ${ms(value.p99)}`;
  console.log(
    formatTable(
      ['operation', 'calls', 'p50 / p99', 'returns'],
      [
        [
          "baseline: findOne({ _id }) on the repository's connection",
          String(measured.findOne.count),
          p(measured.findOne),
          '1 server',
        ],
        [
          `2. serversForUser(${dataset.loaderUser})`,
          String(measured.loader.count),
          p(measured.loader),
          `${loaderServers} servers`,
        ],
        [
          `3. usersOf(await principalsOf(${dataset.holdersServer}))`,
          String(measured.holders.count),
          p(measured.holders),
          `${count(dataset.holders)} users`,
        ],
        [
          '   of which principalsOf',
          '',
          p(measured.holdersPrincipals),
          `${count(dataset.holdersPrincipals)} principals`,
        ],
        ['   of which usersOf', '', p(measured.holdersUsers), ''],
        ['baseline: Redis GET', String(measured.redisGet.count), p(measured.redisGet), '1 value'],
        [
          `4. setAccess(${dataset.grantServer}) ± ${dataset.grantGroup}`,
          String(measured.grant.count),
          p(measured.grant),
          'see below',
        ],
      ],
    ),
  );
  console.log(`\nloader / findOne baseline (p50): ${loaderRatio.toFixed(1)}x`);

  console.log(
    `\n4. a grant to a ${members(dataset)}-member group end to end: strata.admin.setAccess(${dataset.grantServer}, ` +
      `{ grants: [...${SHAPE.grantServerGrants} existing, group ${dataset.grantGroup}] }), alternating with its revoke`,
  );
  console.log(
    `   strata.start() ${ms(measured.startMs)}; ${members(dataset)} members logged in first in ${ms(measured.loginMs)} ` +
      `(${measured.loginLoaderCalls} loader calls, ${LOGIN_CONCURRENCY} at a time)\n`,
  );
  console.log(
    formatTable(
      [
        'run',
        'action',
        'total',
        'database',
        'rest (Redis, events)',
        'repository calls',
        'users invalidated',
        'cached entries',
      ],
      measured.runs.map((run) => [
        String(run.run),
        run.action,
        ms(run.ms),
        ms(run.databaseMs),
        ms(run.ms - run.databaseMs),
        String(run.repositoryCalls),
        String(run.invalidated),
        `${run.cachedBefore} -> ${run.cachedAfter}`,
      ]),
    ),
  );
  console.log(
    '\ndatabase: wall time with a repository call in flight; users invalidated: distinct userIds of the access.changed',
  );
  console.log(
    'events (strata.subscribe) of that run; cached entries: members with a private entry in Redis before -> after.',
  );
  console.log('Only the first run drops real entries: the members were logged in once, before it.');
  console.log(`repository calls per run (mean): ${measured.callsPerGrant}`);
  console.log(`grant p50 / Redis GET p50: ${grantRatio.toFixed(0)}x`);

  console.log(
    "\n5. query plans: explain('queryPlanner') of the finds each measured call sends (captured, then replayed)\n",
  );
  console.log(
    formatTable(
      ['call', 'collection', 'filter', 'plan', 'index'],
      measured.plans.map(({ label, query, plan }) => [
        label,
        `${query.collection}.${query.method}`,
        describeFilter(query.filter) + (query.sort ? ` sort ${JSON.stringify(query.sort)}` : ''),
        plan.stages + (plan.filterPushdown === undefined ? '' : ` (filterPushdown ${plan.filterPushdown})`),
        plan.indexes.join(', ') || 'none',
      ]),
    ),
  );
  const unindexed = measured.plans.filter(({ plan }) => !plan.indexed).length;
  if (mongo.ferretDb) {
    const notPushed = measured.plans.filter(({ plan }) => plan.filterPushdown === false);
    const pushedScans = measured.plans.filter(({ plan }) => plan.filterPushdown === true && !plan.indexed);
    console.log(`\nFerretDB (SQLite): ${unindexed} of ${measured.plans.length} finds SCAN their whole table.`);
    console.log(
      `${notPushed.length} are not pushed down at all (filterPushdown false): FerretDB reads every document and filters it itself.`,
    );
    if (pushedScans.length > 0) {
      const labels = pushedScans.map(({ label }) => label).join(', ');
      const verb = pushedScans.length === 1 ? 'is pushed down but still scans' : 'are pushed down but still scan';
      console.log(`${pushedScans.length} (${labels}) ${verb} the table in SQLite (no index in its plan).`);
    }
    console.log("The repository's secondary indexes (packages/data-schemas/README.md) only enforce uniqueness here;");
    console.log('on a mongod they serve these finds (test/indexes.test.ts checks that with explain; not this run).');
  } else {
    console.log(
      `\n${measured.plans.length - unindexed} of ${measured.plans.length} finds use an index only (no COLLSCAN).`,
    );
  }
  console.log(`\nmeasurements took ${minutes(measured.protocolMs)}`);

  const round = (value: number) => Number(value.toFixed(2));
  console.log(
    JSON.stringify({
      bench: 'data',
      server: mongo.name,
      maxPoolSize: mongo.maxPoolSize ?? null,
      requested: REQUESTED_SIZE,
      measured: { servers: size.servers, entries: dataset.entries.length, groups: size.groups },
      scale: Number(sizing.scale.toPrecision(4)),
      seedMs: Math.round(sizing.seeded.seedMs),
      fullSeedMs: full ? Math.round(full.seeded.seedMs) : null,
      fullLoaderP50Ms: full ? Math.round(summarize(full.loaderMs).p50) : null,
      fullHoldersP50Ms: full ? Math.round(summarize(full.holdersMs).p50) : null,
      loaderP50Ms: round(measured.loader.p50),
      loaderP99Ms: round(measured.loader.p99),
      loaderServers,
      findOneP50Ms: round(measured.findOne.p50),
      loaderRatio: round(loaderRatio),
      holdersP50Ms: round(measured.holders.p50),
      holdersP99Ms: round(measured.holders.p99),
      holders: dataset.holders,
      grantP50Ms: round(measured.grant.p50),
      grantDatabaseP50Ms: round(summarize(measured.runs.map((run) => run.databaseMs)).p50),
      invalidatedUsers: Math.min(...invalidated),
      redisGetP50Ms: round(measured.redisGet.p50),
      grantRatio: round(grantRatio),
      indexedFinds: measured.plans.length - unindexed,
      finds: measured.plans.length,
    }),
  );
}

function members(dataset: Dataset): number {
  return dataset.grantGroupMembers.length;
}

function count(value: number): string {
  return value.toLocaleString('en-US');
}

function ms(value: number): string {
  if (value >= 10_000) return `${(value / 1_000).toFixed(1)} s`;
  return value >= 100 ? `${value.toFixed(0)} ms` : `${value.toFixed(2)} ms`;
}

function minutes(value: number): string {
  return value >= 120_000 ? `${(value / 60_000).toFixed(1)} min` : `${(value / 1_000).toFixed(0)} s`;
}

function rate(timing: SeedTiming): string {
  return count(Math.round((timing.documents / timing.ms) * 1_000));
}

function list(values: readonly number[]): string {
  return values.map((value) => value.toFixed(0)).join(', ');
}

function fraction(scale: number): string {
  const inverse = 1 / scale;
  return scale !== 1 && Math.abs(inverse - Math.round(inverse)) < 1e-9 ? `1/${Math.round(inverse)}` : String(scale);
}

function progress(message: string): void {
  process.stderr.write(`[data] ${message}\n`);
}
