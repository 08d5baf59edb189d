import { performance } from 'node:perf_hooks';
import { countClientCommands } from './lib/client-command-counter';
import { countServerCommands, formatCounts, type CommandCounts } from './lib/command-counter';
import { startRedisTarget, type RedisTarget } from './lib/redis-target';
import { appServers, openPopulated, openRegistry, serverName, stdioConfig } from './lib/registry-fixture';
import { summarize } from './lib/percentiles';
import { formatTable } from './lib/table';
import { timedLoop, type TimedLoopResult } from './lib/timed-loop';

/** Servers per tier of the main registry (app and shared: 2,000 in all). */
const SERVERS_PER_TIER = 1_000;
/** Tier size of the small registry that shows the cold read does not grow with the server count. */
const SMALL_SERVERS_PER_TIER = 50;
/**
 * Near-cache and raw-GET throughput are measured in alternating rounds and the fastest round of each
 * is reported: noise (other processes, a VM's loopback round trip swinging between ~25 and ~110 µs
 * from one second to the next) only ever slows a loop down, and alternating keeps a slow spell from
 * landing on one side only.
 */
const ROUNDS = 5;
const NEAR_GET = { minIterations: 200_000, minDurationMs: 2_000, warmupIterations: 20_000 };
const GET_ALL = { minIterations: 2_000, minDurationMs: 1_000, warmupIterations: 200 };
const RAW_GET = { minIterations: 10_000, minDurationMs: 1_000, warmupIterations: 1_000 };
/** Fresh registries timed (without MONITOR) for the cold getServers() latency. */
const COLD_LATENCY_SAMPLES = 5;

const TARGETS = { ratio: 50, getAllP50Ms: 1, coldGetAllRoundTrips: 3 } as const;

interface ColdRead {
  readonly servers: number;
  /** Median over fresh registries, timed without MONITOR. */
  readonly elapsedMs: number;
  /** Requests clients sent (MONITOR): the round trips. */
  readonly client: CommandCounts;
  /** Commands the server executed (INFO commandstats), Lua's `redis.call`s included. */
  readonly server: CommandCounts;
}

/** Warm and cold reads of a Redis-backed registry with 1,000 app and 1,000 shared servers, against raw GETs. */
export async function run(): Promise<void> {
  const target = await startRedisTarget();
  try {
    if (target.external) progress(`using external Redis at REDIS_URI (other clients' traffic skews the counts)`);
    const warm = await measureWarmReads(target);
    const coldLarge = await measureColdGetAll(target, warm.keyPrefix, SERVERS_PER_TIER);
    const smallPrefix = target.newKeyPrefix();
    const small = await openPopulated(target.url, smallPrefix, SMALL_SERVERS_PER_TIER, SMALL_SERVERS_PER_TIER);
    await small.close();
    const coldSmall = await measureColdGetAll(target, smallPrefix, SMALL_SERVERS_PER_TIER);
    report({ ...warm, coldSmall, coldLarge });
  } finally {
    await target.close();
  }
}

/** Sequential GETs of one ~200-byte value on one connection: one Redis round trip from this process. */
async function rawGetLoop(target: RedisTarget): Promise<() => Promise<TimedLoopResult>> {
  const client = await target.connect();
  const key = `{${target.newKeyPrefix()}:raw}:value`;
  await client.set(key, JSON.stringify({ name: 'app-0001', tier: 'app', config: stdioConfig(1), version: 1 }));
  return () => timedLoop(() => client.get(key), { ...RAW_GET, recordLatency: true });
}

/** The round with the highest throughput. */
function bestRound(rounds: readonly TimedLoopResult[]): TimedLoopResult {
  const best = [...rounds].sort((a, b) => b.opsPerSec - a.opsPerSec)[0];
  if (!best) throw new Error('no rounds');
  return best;
}

interface WarmReads {
  readonly keyPrefix: string;
  readonly startMs: number;
  readonly addSharedMs: number;
  readonly raw: TimedLoopResult;
  readonly nearGet: TimedLoopResult;
  readonly nearGetLatency: TimedLoopResult;
  readonly getAll: TimedLoopResult;
  readonly nearRounds: readonly TimedLoopResult[];
  readonly rawRounds: readonly TimedLoopResult[];
}

/** The main registry: written, filled, then read warm; the raw GET baseline alternates with it. */
async function measureWarmReads(target: RedisTarget): Promise<WarmReads> {
  const keyPrefix = target.newKeyPrefix();
  progress(`writing ${SERVERS_PER_TIER} app-tier and adding ${SERVERS_PER_TIER} shared servers...`);
  const open = await openPopulated(target.url, keyPrefix, SERVERS_PER_TIER, SERVERS_PER_TIER);
  try {
    const { registry } = open;
    const all = await registry.getServers();
    if (all.size !== 2 * SERVERS_PER_TIER) throw new Error(`getServers() returned ${all.size} servers`);

    const names: string[] = [];
    for (let i = 1; i <= SERVERS_PER_TIER; i += 1) names.push(serverName('app', i), serverName('shared', i));
    // Runs through tsx, whose esbuild transform keeps function names: every closure created per call
    // costs a `__name()` (Object.defineProperty) that tsc output does not have.
    const getOne = async (i: number) => {
      const name = names[i % names.length] ?? '';
      if ((await registry.getServer(name)) === undefined) throw new Error(`getServer(${name}) found nothing`);
    };
    const rawGet = await rawGetLoop(target);
    const nearRounds: TimedLoopResult[] = [];
    const rawRounds: TimedLoopResult[] = [];
    for (let round = 1; round <= ROUNDS; round += 1) {
      progress(`round ${round}/${ROUNDS}: warm getServer(name) throughput, then raw ioredis GET...`);
      nearRounds.push(await timedLoop(getOne, NEAR_GET));
      rawRounds.push(await rawGet());
    }
    const nearGet = bestRound(nearRounds);
    const raw = bestRound(rawRounds);
    progress('warm getServer(name): latency...');
    const nearGetLatency = await timedLoop(getOne, { ...NEAR_GET, recordLatency: true });

    progress('warm getServers()...');
    const getAll = await timedLoop(
      async () => {
        if ((await registry.getServers()).size !== all.size) throw new Error('getServers() lost servers');
      },
      { ...GET_ALL, recordLatency: true },
    );
    return {
      keyPrefix,
      startMs: open.startMs,
      addSharedMs: open.addSharedMs,
      raw,
      nearGet,
      nearGetLatency,
      getAll,
      nearRounds,
      rawRounds,
    };
  } finally {
    // Closed before the cold reads are counted: nothing of this registry may talk to Redis then.
    await open.close();
  }
}

/**
 * One `getServers()` of a new backend and registry on an existing tier pair (near caches empty),
 * counted from the client side (MONITOR) and the server side (INFO commandstats) at once.
 */
async function measureColdGetAll(target: RedisTarget, keyPrefix: string, perTier: number): Promise<ColdRead> {
  progress(`cold getServers() on ${2 * perTier} servers...`);
  const control = await target.connect();
  const open = await openRegistry(target.url, keyPrefix, appServers(perTier));
  let counted;
  try {
    counted = await countClientCommands(control, () => countServerCommands(control, () => open.registry.getServers()));
  } finally {
    await open.close();
  }
  const { result: servers, counts: server } = counted.result;
  if (servers.size !== 2 * perTier) throw new Error(`cold getServers() returned ${servers.size} servers`);

  const samples: number[] = [];
  for (let i = 0; i < COLD_LATENCY_SAMPLES; i += 1) {
    const fresh = await openRegistry(target.url, keyPrefix, appServers(perTier));
    try {
      const startedAt = performance.now();
      await fresh.registry.getServers();
      samples.push(performance.now() - startedAt);
    } finally {
      await fresh.close();
    }
  }
  return { servers: servers.size, elapsedMs: summarize(samples).p50, client: counted.counts, server };
}

interface Results extends WarmReads {
  readonly coldSmall: ColdRead;
  readonly coldLarge: ColdRead;
}

function report(results: Results): void {
  const { raw, nearGet, nearGetLatency, getAll, coldSmall, coldLarge } = results;
  const rawLatency = raw.latencyUs;
  const nearLatency = nearGetLatency.latencyUs;
  const getAllLatency = getAll.latencyUs;
  if (!rawLatency || !nearLatency || !getAllLatency) throw new Error('latency was not recorded');

  const us = (value: number) => `${value.toFixed(2)} µs`;
  const ms = (value: number) => `${value.toFixed(3)} ms`;
  const ops = (value: number) => `${Math.round(value).toLocaleString('en-US')}/s`;
  const calls = (result: TimedLoopResult) => `${result.iterations.toLocaleString('en-US')} in ${ms(result.elapsedMs)}`;
  console.log('\nregistry-read: 1,000 app-tier + 1,000 shared servers, standalone Redis\n');
  console.log(
    formatTable(
      ['operation', 'ops/sec', 'p50', 'p99', 'calls'],
      [
        [
          'getServer(name), warm near cache',
          ops(nearGet.opsPerSec),
          us(nearLatency.p50),
          us(nearLatency.p99),
          calls(nearGet),
        ],
        [
          'getServers() 2,000, warm near cache',
          ops(getAll.opsPerSec),
          ms(getAllLatency.p50 / 1_000),
          ms(getAllLatency.p99 / 1_000),
          calls(getAll),
        ],
        ['raw ioredis GET (baseline)', ops(raw.opsPerSec), us(rawLatency.p50), us(rawLatency.p99), calls(raw)],
      ],
    ),
  );
  const roundList = (rounds: readonly TimedLoopResult[]) => rounds.map((round) => ops(round.opsPerSec)).join(', ');
  console.log(`\nops/sec: best of ${ROUNDS} alternating rounds (getServer ${roundList(results.nearRounds)};`);
  console.log(`raw GET ${roundList(results.rawRounds)}); getServer p50/p99 from a separate run of`);
  console.log(`${nearGetLatency.iterations.toLocaleString('en-US')} timed calls (clock reads would skew its ops/sec).`);
  console.log(`setup: registry.start() writing 1,000 app servers ${ms(results.startMs)};`);
  console.log(
    `       1,000 x addSharedServer ${ms(results.addSharedMs)} (${ms(results.addSharedMs / SERVERS_PER_TIER)} each)`,
  );

  console.log('\ncold getServers() (new backend + registry, empty near caches):\n');
  console.log(
    formatTable(
      ['servers', 'latency (p50)', 'client commands (MONITOR)', 'server commands (INFO commandstats, incl. Lua)'],
      [coldSmall, coldLarge].map((cold) => [
        String(cold.servers),
        ms(cold.elapsedMs),
        `${cold.client.total}: ${formatCounts(cold.client)}`,
        `${cold.server.total}: ${formatCounts(cold.server)}`,
      ]),
    ),
  );
  console.log(
    '(one read-tier script per tier, both sent at once; a node that lacks a script answers EVALSHA with NOSCRIPT, then gets one EVAL)',
  );

  const ratio = nearGet.opsPerSec / raw.opsPerSec;
  const getAllP50Ms = getAllLatency.p50 / 1_000;
  const coldGetAllRoundTrips = Math.max(coldSmall.client.total, coldLarge.client.total);
  const independent = coldSmall.client.total === coldLarge.client.total;
  const verdict = (met: boolean) => (met ? 'met' : 'MISSED');
  console.log('\ntargets:');
  console.log(
    `  ratio near getServer / raw GET = ${ratio.toFixed(1)} (>= ${TARGETS.ratio}): ${verdict(ratio >= TARGETS.ratio)}`,
  );
  console.log(
    `  getServers() p50 = ${ms(getAllP50Ms)} (<= ${TARGETS.getAllP50Ms} ms): ${verdict(getAllP50Ms <= TARGETS.getAllP50Ms)}`,
  );
  console.log(
    `  cold getServers() round trips = ${coldGetAllRoundTrips} (<= ${TARGETS.coldGetAllRoundTrips}): ` +
      verdict(coldGetAllRoundTrips <= TARGETS.coldGetAllRoundTrips),
  );
  console.log(
    `  independent of server count (${coldSmall.servers}: ${coldSmall.client.total}, ${coldLarge.servers}: ${coldLarge.client.total}): ` +
      verdict(independent),
  );
  console.log(
    JSON.stringify({
      bench: 'registry-read',
      nearGetOpsPerSec: Math.round(nearGet.opsPerSec),
      rawRedisGetOpsPerSec: Math.round(raw.opsPerSec),
      ratio: Number(ratio.toFixed(1)),
      getAllP50Ms: Number(getAllP50Ms.toFixed(3)),
      coldGetAllRoundTrips,
    }),
  );
}

function progress(message: string): void {
  process.stderr.write(`[registry-read] ${message}\n`);
}
