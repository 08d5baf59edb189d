import { getEventListeners } from 'node:events';
import { performance } from 'node:perf_hooks';
import {
  createStrata,
  type ConnectionManager,
  type ConnectionScope,
  type McpConnection,
  type NamedServerConfig,
  type ServerConfig,
  type Strata,
} from '../packages/registry/src/internals';
import { startHttpFixture, type HttpFixture } from '../packages/registry/test/fixtures/mcp/http-server';
import { captureWarnings } from './lib/capture-warnings';
import { summarize, type Percentiles } from './lib/percentiles';
import { formatTable } from './lib/table';
import { timedLoop, type TimedLoopResult } from './lib/timed-loop';

/** App-tier servers `srv-01` … `srv-50`, all on the one fixture URL: one connection (session) each. */
const SERVERS = 50;
/** Concurrent gets per server in the connect storm (500 in all, interleaved over the servers). */
const GETS_PER_SERVER = 10;
const STORM_GETS = SERVERS * GETS_PER_SERVER;
/**
 * Warm get and the echo round trip are measured in alternating rounds and the fastest round of each
 * is reported (noise only ever slows a loop down; alternating keeps a slow spell off one side only).
 */
const ROUNDS = 3;
const WARM_GET = { minIterations: 200_000, minDurationMs: 2_000, warmupIterations: 20_000 };
const ECHO = { minIterations: 1_000, minDurationMs: 1_000, warmupIterations: 500 };
/** Deadline of connect + initialize and of tools/list. */
const CONNECT_TIMEOUT_MS = 10_000;

const TARGETS = { connects: SERVERS, warmGetP50Us: 10 } as const;

/** `app` scope, one object for every call (as a caller would hold it). */
const APP: ConnectionScope = { kind: 'app' };

/** `srv-01`, `srv-42`, ... */
function serverName(index: number): string {
  return `srv-${String(index).padStart(2, '0')}`;
}

/** A streamable-HTTP server config (every defaulted field spelled out). */
function httpConfig(url: string): ServerConfig {
  return { type: 'streamable-http', url, startup: true, requiresOAuth: false, perSession: false, enabled: true };
}

/** A Strata instance in memory, its connection manager, and the fixture they reach. */
interface Setup {
  readonly fixture: HttpFixture;
  readonly strata: Strata;
  readonly manager: ConnectionManager;
  readonly names: readonly string[];
}

interface Storm {
  readonly wallMs: number;
  /** Every get's latency, from its call to its resolution (ms). */
  readonly latency: Percentiles;
  /** Sessions the fixture server opened during the storm. */
  readonly connects: number;
  /** Distinct connection objects the gets resolved with. */
  readonly distinct: number;
  /** Servers whose gets did not all resolve with one and the same connection. */
  readonly split: number;
}

interface Warm {
  readonly warmGet: TimedLoopResult;
  readonly warmGetLatency: TimedLoopResult;
  readonly echo: TimedLoopResult;
  readonly warmRounds: readonly TimedLoopResult[];
  readonly echoRounds: readonly TimedLoopResult[];
  /** Sessions the fixture server had opened after the warm loops (still {@link SERVERS}: nothing reconnected). */
  readonly sessionsAfter: number;
  /** `callTool('echo')` calls made in all (warm-ups included). */
  readonly echoCalls: number;
  /** Abort listeners on the echo connection's transport signal before and after the echo loops. */
  readonly abortListenersBefore: number | undefined;
  readonly abortListenersAfter: number | undefined;
}

/** `MaxListenersExceededWarning`s counted (not printed) while measuring. */
interface Leak {
  readonly warnings: number;
  readonly first: string | undefined;
}

/** Connect storm over 50 servers, then warm `get` against a real MCP round trip (memory backend, one HTTP fixture). */
export async function run(): Promise<void> {
  // The SDK's HTTP transport hands one AbortSignal to every fetch and Node's fetch leaves a listener
  // on it per request (removed only on GC): hundreds of warnings, counted and reported once instead.
  const measured = await captureWarnings('MaxListenersExceededWarning', async () => {
    const setup = await open();
    try {
      const storm = await measureStorm(setup);
      return { storm, warm: await measureWarm(setup) };
    } finally {
      await close(setup);
    }
  });
  report(measured.result.storm, measured.result.warm, { warnings: measured.count, first: measured.first });
}

async function open(): Promise<Setup> {
  progress(`starting the streamable-HTTP fixture and a registry with ${SERVERS} app-tier servers...`);
  const fixture = await startHttpFixture();
  const names = Array.from({ length: SERVERS }, (_, i) => serverName(i + 1));
  const appServers: NamedServerConfig[] = names.map((name) => ({ name, config: httpConfig(fixture.url) }));
  const strata = await createStrata({ appServers, connections: { connectTimeoutMs: CONNECT_TIMEOUT_MS } });
  const setup = { fixture, strata, manager: strata.connections, names };
  try {
    await strata.start();
    return setup;
  } catch (error) {
    await close(setup);
    throw error;
  }
}

async function close(setup: Setup): Promise<void> {
  try {
    await setup.strata.close();
  } finally {
    await setup.fixture.close();
  }
}

/** 500 gets started at once, interleaved (`srv-01`, `srv-02`, … `srv-50`, `srv-01`, …): one connect per server. */
async function measureStorm({ fixture, manager, names }: Setup): Promise<Storm> {
  progress(`connect storm: ${STORM_GETS} concurrent get() over ${SERVERS} servers...`);
  const before = fixture.sessions.opened;
  const latenciesMs = new Float64Array(STORM_GETS);
  const startedAt = performance.now();
  const gets: Array<Promise<McpConnection>> = [];
  for (let i = 0; i < STORM_GETS; i += 1) {
    const name = names[i % names.length] ?? '';
    gets.push(
      manager.get(APP, name).then((connection) => {
        latenciesMs[i] = performance.now() - startedAt;
        return connection;
      }),
    );
  }
  const connections = await Promise.all(gets);
  const wallMs = performance.now() - startedAt;

  const byName = new Map<string, Set<McpConnection>>();
  connections.forEach((connection, i) => {
    const name = names[i % names.length] ?? '';
    if (connection.name !== name) throw new Error(`get(${name}) resolved with a connection to ${connection.name}`);
    const seen = byName.get(name) ?? new Set<McpConnection>();
    seen.add(connection);
    byName.set(name, seen);
  });
  let split = 0;
  for (const seen of byName.values()) if (seen.size !== 1) split += 1;
  return {
    wallMs,
    latency: summarize(latenciesMs),
    connects: fixture.sessions.opened - before,
    distinct: new Set(connections).size,
    split,
  };
}

/** Warm `get` round-robin over the 50 names, alternating with `callTool('echo')` on one connection. */
async function measureWarm({ fixture, manager, names }: Setup): Promise<Warm> {
  // Runs through tsx, whose esbuild transform keeps function names: a closure created per call costs
  // a `__name()` (Object.defineProperty) that tsc output does not have. These are made once.
  const count = names.length;
  const warmGet = (i: number) => manager.get(APP, names[i % count] ?? '');
  const connection = await manager.get(APP, names[0] ?? '');
  const echoArguments = { name: 'echo', arguments: { text: 'ping' } };
  let echoCalls = 0;
  const echo = async () => {
    echoCalls += 1;
    const reply = await connection.client.callTool(echoArguments);
    if (reply.isError === true) throw new Error('echo failed');
  };

  const abortListenersBefore = abortListeners(connection);
  const warmRounds: TimedLoopResult[] = [];
  const echoRounds: TimedLoopResult[] = [];
  for (let round = 1; round <= ROUNDS; round += 1) {
    progress(`round ${round}/${ROUNDS}: warm get() throughput, then callTool('echo') round trips...`);
    warmRounds.push(await timedLoop(warmGet, WARM_GET));
    echoRounds.push(await timedLoop(echo, { ...ECHO, recordLatency: true }));
  }
  const abortListenersAfter = abortListeners(connection);
  progress('warm get(): latency...');
  const warmGetLatency = await timedLoop(warmGet, { ...WARM_GET, recordLatency: true });
  return {
    warmGet: bestRound(warmRounds),
    warmGetLatency,
    echo: bestRound(echoRounds),
    warmRounds,
    echoRounds,
    sessionsAfter: fixture.sessions.opened,
    echoCalls,
    abortListenersBefore,
    abortListenersAfter,
  };
}

/**
 * Abort listeners on the signal the SDK's streamable-HTTP transport passes to every fetch (a private
 * field of the SDK: undefined if it is not there).
 */
function abortListeners(connection: McpConnection): number | undefined {
  const transport = connection.client.transport as { _abortController?: AbortController } | undefined;
  const signal = transport?._abortController?.signal;
  return signal ? getEventListeners(signal, 'abort').length : undefined;
}

/** The round with the highest throughput. */
function bestRound(rounds: readonly TimedLoopResult[]): TimedLoopResult {
  const best = [...rounds].sort((a, b) => b.opsPerSec - a.opsPerSec)[0];
  if (!best) throw new Error('no rounds');
  return best;
}

function report(storm: Storm, warm: Warm, leak: Leak): void {
  const { warmGet, warmGetLatency, echo } = warm;
  const getLatency = warmGetLatency.latencyUs;
  const echoLatency = echo.latencyUs;
  if (!getLatency || !echoLatency) throw new Error('latency was not recorded');

  const us = (value: number) => `${value.toFixed(2)} µs`;
  const ms = (value: number) => `${value.toFixed(3)} ms`;
  const ops = (value: number) => `${Math.round(value).toLocaleString('en-US')}/s`;
  const calls = (result: TimedLoopResult) => `${result.iterations.toLocaleString('en-US')} in ${ms(result.elapsedMs)}`;
  console.log(`\nconnections: ${SERVERS} app-tier streamable-HTTP servers on one fixture, memory backend\n`);
  console.log(
    formatTable(
      ['connect storm', 'gets', 'connects (sessions opened)', 'connections', 'wall', 'get p50', 'get p99'],
      [
        [
          `${GETS_PER_SERVER} x ${SERVERS} servers, all at once`,
          String(STORM_GETS),
          String(storm.connects),
          String(storm.distinct),
          ms(storm.wallMs),
          ms(storm.latency.p50),
          ms(storm.latency.p99),
        ],
      ],
    ),
  );
  console.log("(cold: the process's first MCP connects, the SDK's JIT warm-up included)\n");
  console.log(
    formatTable(
      ['operation', 'ops/sec', 'p50', 'p99', 'calls'],
      [
        [
          `get(app, name), warm, round-robin over ${SERVERS}`,
          ops(warmGet.opsPerSec),
          us(getLatency.p50),
          us(getLatency.p99),
          calls(warmGet),
        ],
        [
          "callTool('echo') round trip (baseline)",
          ops(echo.opsPerSec),
          us(echoLatency.p50),
          us(echoLatency.p99),
          calls(echo),
        ],
      ],
    ),
  );
  const roundList = (rounds: readonly TimedLoopResult[]) => rounds.map((round) => ops(round.opsPerSec)).join(', ');
  console.log(`\nops/sec: best of ${ROUNDS} alternating rounds (get ${roundList(warm.warmRounds)};`);
  console.log(`echo ${roundList(warm.echoRounds)}); get p50/p99 from a separate run of`);
  console.log(`${warmGetLatency.iterations.toLocaleString('en-US')} timed calls (clock reads would skew its ops/sec).`);

  const ratio = warmGet.opsPerSec / echo.opsPerSec;
  const singleFlight = storm.connects === TARGETS.connects && storm.distinct === SERVERS && storm.split === 0;
  const verdict = (met: boolean) => (met ? 'met' : 'MISSED');
  console.log('\ntargets:');
  console.log(
    `  storm connects = ${storm.connects}, connections = ${storm.distinct}, split servers = ${storm.split} ` +
      `(${TARGETS.connects}, ${SERVERS}, 0): ${verdict(singleFlight)}`,
  );
  console.log(
    `  no reconnect while warm: sessions opened = ${warm.sessionsAfter} (${SERVERS}): ` +
      verdict(warm.sessionsAfter === SERVERS),
  );
  console.log(
    `  warm get p50 = ${us(getLatency.p50)} (<= ${TARGETS.warmGetP50Us} µs): ` +
      verdict(getLatency.p50 <= TARGETS.warmGetP50Us),
  );
  console.log(`  warm get / echo round trip = ${ratio.toFixed(1)}x`);
  const count = (value: number | undefined) => (value === undefined ? 'n/a' : String(value));
  console.log(
    `\nabort listeners on the echo connection's transport signal: ${count(warm.abortListenersBefore)} before, ` +
      `${count(warm.abortListenersAfter)} after ${warm.echoCalls.toLocaleString('en-US')} echo calls`,
  );
  console.log(
    `(the SDK transport passes one AbortSignal to every fetch; Node's fetch removes its listener only on GC)` +
      (leak.warnings > 0
        ? `;\n${leak.warnings} MaxListenersExceededWarning held back, first: ${leak.first ?? ''}`
        : ''),
  );
  console.log(
    JSON.stringify({
      bench: 'connections',
      warmGetOpsPerSec: Math.round(warmGet.opsPerSec),
      stormGets: STORM_GETS,
      servers: SERVERS,
      connects: storm.connects,
      stormWallMs: Number(storm.wallMs.toFixed(1)),
      warmGetP50Us: Number(getLatency.p50.toFixed(2)),
      warmGetP99Us: Number(getLatency.p99.toFixed(2)),
      echoRoundTripOpsPerSec: Math.round(echo.opsPerSec),
      ratio: Number(ratio.toFixed(1)),
      abortListenersAfterEcho: warm.abortListenersAfter ?? null,
    }),
  );
}

function progress(message: string): void {
  process.stderr.write(`[connections] ${message}\n`);
}
