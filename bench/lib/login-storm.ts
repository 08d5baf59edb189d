import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import {
  GO_LINE,
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
/** From "go" to the child's result. */
const RESULT_TIMEOUT_MS = 60_000;
const EXIT_TIMEOUT_MS = 10_000;
/** Kept of a child's stderr for the error message. */
const STDERR_LIMIT = 8_000;

export interface LoginStormOptions {
  readonly url: string;
  readonly keyPrefix: string;
  readonly users: readonly string[];
  readonly loginsPerUser: number;
  readonly processes: number;
  readonly loaderDelayMs: number;
  readonly timeoutMs: number;
}

export interface LoginStormOutcome {
  readonly results: readonly StormChildResult[];
  readonly logins: number;
  /** Summed over the children: the correctness figure (one per user). */
  readonly loaderCalls: number;
  /** Commits summed over the children. */
  readonly commits: number;
  readonly failures: readonly string[];
  /** Every login's `ensureLoaded` latency (ms). */
  readonly latency: Percentiles;
  /** Per waiting (process, user): its resolution minus the holder's commit, across processes (ms). */
  readonly wake: Percentiles;
  /** Resolution minus commit for every non-holder (process, user), waiters or not (ms). */
  readonly followers: Percentiles;
}

/**
 * Login `i` of user `u` goes to process `i % processes`: every process sees every user, so all but
 * one of them wait for another process's load of it.
 */
export function planLogins(users: readonly string[], loginsPerUser: number, processes: number): string[][] {
  const plans = Array.from({ length: processes }, () => [] as string[]);
  for (let login = 0; login < loginsPerUser; login += 1) {
    for (const userId of users) plans[login % processes]?.push(userId);
  }
  return plans;
}

/** Spawns the children, starts them at once, collects and joins their measurements. */
export async function runLoginStorm(options: LoginStormOptions): Promise<LoginStormOutcome> {
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
    await withTimeout(Promise.all(children.map((child) => child.ready)), READY_TIMEOUT_MS, 'storm children ready');
    children.forEach((child) => child.go());
    const results = await withTimeout(
      Promise.all(children.map((child) => child.result)),
      RESULT_TIMEOUT_MS,
      'storm results',
    );
    const codes = await withTimeout(
      Promise.all(children.map((child) => child.exited)),
      EXIT_TIMEOUT_MS,
      'storm children exit',
    );
    if (codes.some((code) => code !== 0)) throw new Error(`storm children exited with ${codes.join(', ')}`);
    return joinResults(results, plans);
  } finally {
    children.forEach((child) => child.kill());
  }
}

function joinResults(results: readonly StormChildResult[], plans: readonly string[][]): LoginStormOutcome {
  const commitAt = new Map<string, number>();
  let commits = 0;
  for (const result of results) {
    for (const [userId, at] of Object.entries(result.commitAt)) {
      commits += 1;
      commitAt.set(userId, Math.min(at, commitAt.get(userId) ?? Number.POSITIVE_INFINITY));
    }
  }
  const wake: number[] = [];
  const followers: number[] = [];
  for (const result of results) {
    const waited = new Set(result.waited);
    for (const [userId, resolvedAt] of Object.entries(result.resolvedAt)) {
      const committedAt = commitAt.get(userId);
      if (committedAt === undefined || Object.hasOwn(result.commitAt, userId)) continue; // holder, or no commit seen
      followers.push(resolvedAt - committedAt);
      if (waited.has(userId)) wake.push(resolvedAt - committedAt);
    }
  }
  return {
    results,
    logins: plans.reduce((sum, plan) => sum + plan.length, 0),
    loaderCalls: results.reduce((sum, result) => sum + result.loaderCalls, 0),
    commits,
    failures: results.flatMap((result) => result.failures.map((message) => `child ${result.index}: ${message}`)),
    latency: summarize(results.flatMap((result) => result.latenciesMs)),
    wake: summarize(wake),
    followers: summarize(followers),
  };
}

interface LaunchedChild {
  readonly ready: Promise<void>;
  readonly result: Promise<StormChildResult>;
  readonly exited: Promise<number | null>;
  go(): void;
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
      throw new Error(`storm child ${plan.index} exited (${String(code)}) before ${what}:\n${stderr}`);
    });
  let onReady: () => void = () => undefined;
  let onResult: (result: StormChildResult) => void = () => undefined;
  let onBadResult: (error: Error) => void = () => undefined;
  const ready = Promise.race([new Promise<void>((resolve) => (onReady = resolve)), died('"ready"')]);
  const result = Promise.race([
    new Promise<StormChildResult>((resolve, reject) => {
      onResult = resolve;
      onBadResult = reject;
    }),
    died('its result'),
  ]);
  // Awaited later; marked handled so an early death is reported where it is awaited, not as unhandled.
  ready.catch(() => undefined);
  result.catch(() => undefined);
  createInterface({ input: child.stdout }).on('line', (line) => {
    if (line === READY_LINE) onReady();
    else if (line.startsWith(RESULT_PREFIX)) {
      try {
        onResult(parseStormChildResult(line.slice(RESULT_PREFIX.length)));
      } catch (error) {
        onBadResult(error instanceof Error ? error : new Error(String(error)));
      }
    }
  });
  child.stdin.on('error', () => undefined); // a child that died: its exit is reported instead
  return {
    ready,
    result,
    exited,
    go: () => child.stdin.end(`${GO_LINE}\n`),
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
