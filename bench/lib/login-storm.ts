import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import {
  epochMs,
  goLine,
  parseStormChildResult,
  READY_LINE,
  RESULT_PREFIX,
  type StormChildPlan,
  type StormChildResult,
} from './login-storm-protocol';
import { summarize, type Percentiles } from './percentiles';

const REPO_ROOT = join(__dirname, '..', '..');
const CHILD_SCRIPT = join(REPO_ROOT, 'bench', 'fixtures', 'login-storm-child.ts');
/** Start-up of a child: node + tsx compiling the registry, connect, warm-up. */
const READY_TIMEOUT_MS = 60_000;
/** From "go" to a child's result. */
const RESULT_TIMEOUT_MS = 60_000;
const EXIT_TIMEOUT_MS = 10_000;
/** Kept of a child's stderr for the error message. */
const STDERR_LIMIT = 8_000;
/** "go" names a start this far ahead: every child has read it and armed its timer by then. */
const START_DELAY_MS = 100;

export interface LoginStormOptions {
  readonly url: string;
  readonly keyPrefix: string;
  /** Users of one round (each round loads its own, fresh ones). */
  readonly users: readonly string[];
  readonly loginsPerUser: number;
  readonly processes: number;
  readonly rounds: number;
  readonly loaderDelayMs: number;
  readonly timeoutMs: number;
}

/** One round: every process starts its logins at the same moment. */
export interface LoginStormRound {
  readonly round: number;
  readonly logins: number;
  /** Summed over the processes: the correctness figure (one per user). */
  readonly loaderCalls: number;
  /** Commits summed over the processes. */
  readonly commits: number;
  readonly failures: readonly string[];
  /** Every login's `ensureLoaded` latency (ms). */
  readonly latency: Percentiles;
  /**
   * Per waiting (process, user): its resolution minus the commit, across processes (ms). The commit
   * moment is its earliest evidence: the holder's `commit` resolving, or the first receipt of the
   * user's `user.loaded` in any process (both come after the commit on Redis, never before).
   */
  readonly wake: Percentiles;
  /** Of the wake delay: the commit until the waiter's process received `user.loaded` (ms). */
  readonly delivery: Percentiles;
  /** Of the wake delay: that receipt until the waiter's login resolved (the re-read included, ms). */
  readonly afterEvent: Percentiles;
  /** Latest minus earliest start of the processes (ms). */
  readonly startSkewMs: number;
  /** Earliest start to the last login settled (ms). */
  readonly wallMs: number;
  /** CPU time of the processes during the round, summed (ms). */
  readonly cpuMs: number;
}

/**
 * Login `i` of a user goes to process `i % processes`: every process sees every user, so all but
 * one of them wait for another process's load of it.
 */
export function planLogins(users: readonly string[], loginsPerUser: number, processes: number): string[][] {
  const plans = Array.from({ length: processes }, () => [] as string[]);
  for (let login = 0; login < loginsPerUser; login += 1) {
    for (const userId of users) plans[login % processes]?.push(userId);
  }
  return plans;
}

/** Spawns the processes, then runs the rounds: start all at once, collect and join their measurements. */
export async function runLoginStorm(
  options: LoginStormOptions,
  onRound: (round: LoginStormRound) => void = () => undefined,
): Promise<LoginStormRound[]> {
  const plans = planLogins(options.users, options.loginsPerUser, options.processes);
  const children = plans.map((logins, index) =>
    launch({
      url: options.url,
      keyPrefix: options.keyPrefix,
      index,
      logins,
      loaderDelayMs: options.loaderDelayMs,
      timeoutMs: options.timeoutMs,
    }),
  );
  try {
    await withTimeout(Promise.all(children.map((child) => child.ready)), READY_TIMEOUT_MS, 'storm processes ready');
    const rounds: LoginStormRound[] = [];
    for (let round = 1; round <= options.rounds; round += 1) {
      const startAt = epochMs() + START_DELAY_MS;
      children.forEach((child) => child.go(round, startAt));
      const results = await withTimeout(
        Promise.all(children.map((child) => child.nextResult())),
        RESULT_TIMEOUT_MS,
        `storm round ${round} results`,
      );
      const joined = joinResults(round, results);
      onRound(joined);
      rounds.push(joined);
    }
    children.forEach((child) => child.end());
    const codes = await withTimeout(
      Promise.all(children.map((child) => child.exited)),
      EXIT_TIMEOUT_MS,
      'storm processes exit',
    );
    if (codes.some((code) => code !== 0)) throw new Error(`storm processes exited with ${codes.join(', ')}`);
    return rounds;
  } finally {
    children.forEach((child) => child.kill());
  }
}

function joinResults(round: number, results: readonly StormChildResult[]): LoginStormRound {
  const commitAt = new Map<string, number>();
  const earliest = (userId: string, at: number) =>
    commitAt.set(userId, Math.min(at, commitAt.get(userId) ?? Number.POSITIVE_INFINITY));
  let commits = 0;
  for (const result of results) {
    for (const [userId, at] of Object.entries(result.commitAt)) {
      commits += 1;
      earliest(userId, at);
    }
    for (const [userId, at] of Object.entries(result.loadedEventAt)) earliest(userId, at);
  }
  const wake: number[] = [];
  const delivery: number[] = [];
  const afterEvent: number[] = [];
  for (const result of results) {
    for (const userId of result.waited) {
      const committedAt = commitAt.get(userId);
      const resolvedAt = result.resolvedAt[userId];
      if (committedAt === undefined || resolvedAt === undefined) continue; // failed: counted in failures
      wake.push(resolvedAt - committedAt);
      const receivedAt = result.loadedEventAt[userId];
      if (receivedAt === undefined) continue; // woken by its fallback timer
      delivery.push(receivedAt - committedAt);
      afterEvent.push(resolvedAt - receivedAt);
    }
  }
  const starts = results.map((result) => result.goAt);
  return {
    round,
    logins: results.reduce((sum, result) => sum + result.latenciesMs.length + result.failures.length, 0),
    loaderCalls: results.reduce((sum, result) => sum + result.loaderCalls, 0),
    commits,
    failures: results.flatMap((result) => result.failures.map((message) => `process ${result.index}: ${message}`)),
    latency: summarize(results.flatMap((result) => result.latenciesMs)),
    wake: summarize(wake),
    delivery: summarize(delivery),
    afterEvent: summarize(afterEvent),
    startSkewMs: Math.max(...starts) - Math.min(...starts),
    wallMs: Math.max(...results.map((result) => result.doneAt)) - Math.min(...starts),
    cpuMs: results.reduce((sum, result) => sum + result.cpuMs, 0),
  };
}

interface LaunchedChild {
  readonly ready: Promise<void>;
  readonly exited: Promise<number | null>;
  /** Tells the child to start `round` at `startAt` ({@link epochMs}). */
  go(round: number, startAt: number): void;
  /** The child's next result line. */
  nextResult(): Promise<StormChildResult>;
  /** Ends its stdin: the child closes and exits. */
  end(): void;
  /** SIGKILL if still running (this child only). */
  kill(): void;
}

function launch(plan: StormChildPlan): LaunchedChild {
  const child = spawn(process.execPath, ['--require', 'tsx/cjs', CHILD_SCRIPT, JSON.stringify(plan)], {
    cwd: REPO_ROOT,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => {
    if (stderr.length < STDERR_LIMIT) stderr += chunk.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const died = (what: string) =>
    exited.then((code): never => {
      throw new Error(`storm process ${plan.index} exited (${String(code)}) before ${what}:\n${stderr}`);
    });
  let onReady: () => void = () => undefined;
  const ready = Promise.race([new Promise<void>((resolve) => (onReady = resolve)), died('"ready"')]);
  ready.catch(() => undefined); // awaited later: an early death is reported there, not as unhandled
  const results: Array<StormChildResult | Error> = [];
  let onResult: (() => void) | undefined;
  createInterface({ input: child.stdout }).on('line', (line) => {
    if (line === READY_LINE) onReady();
    else if (line.startsWith(RESULT_PREFIX)) {
      try {
        results.push(parseStormChildResult(line.slice(RESULT_PREFIX.length)));
      } catch (error) {
        results.push(error instanceof Error ? error : new Error(String(error)));
      }
      onResult?.();
    }
  });
  child.stdin.on('error', () => undefined); // a child that died: its exit is reported instead
  return {
    ready,
    exited,
    go: (round, startAt) => child.stdin.write(`${goLine(round, startAt)}\n`),
    nextResult: async () => {
      if (results.length === 0) {
        await Promise.race([new Promise<void>((resolve) => (onResult = resolve)), died('its result')]);
      }
      const next = results.shift();
      if (next === undefined || next instanceof Error) throw next ?? new Error('no result');
      return next;
    },
    end: () => child.stdin.end(),
    kill: () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    },
  };
}

async function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
