// The soak's invariants, checked after every step against the source of truth (MongoDB). Pure: the
// driver feeds it what it saw and when; a unit test (soak/checker.test.ts) feeds it broken histories.
import type { Sample, SeenServer } from './protocol';

export type ViolationKind =
  | 'extra' // a user holds a server the database does not grant, past the bound
  | 'missing' // a server the database grants is absent, past the bound (absent from every tier)
  | 'stale-version' // an older version than the database's, past the bound
  | 'version-regressed' // a reader saw a version lower than one it saw before
  | 'move-hid' // a promote or demote hid a server from a reader who had it before and after
  | 'duplicate' // one name listed twice in one answer
  | 'unavailable' // a read failed with Redis healthy and no fault for longer than the bound
  | 'untyped-error' // an error without a Strata code
  | 'deadline' // a call returned later than its deadline plus the margin
  | 'unhandled' // an unhandled rejection or uncaught exception in an instance
  | 'no-exit' // an instance did not exit by itself after close()
  | 'heap-growth'
  | 'resource-growth';

export interface Violation {
  readonly kind: ViolationKind;
  readonly at: number;
  readonly detail: string;
}

/** What the database grants one user: server name → version (app servers: version undefined). */
export type Expected = ReadonlyMap<string, number | undefined>;

export type ReadResult =
  | { readonly ok: true; readonly ms: number; readonly servers: readonly SeenServer[] }
  | { readonly ok: false; readonly ms: number; readonly code: string; readonly message: string };

export interface CheckerOptions {
  /** How long caches may disagree with the database after the later of the change and the last Redis fault. */
  readonly boundMs: number;
  /** Deadline of a read (the private tier's load timeout). */
  readonly readDeadlineMs: number;
  /** Allowed overshoot of a deadline: a fraction of it plus a fixed scheduling slack. */
  readonly deadlineMargin: { readonly fraction: number; readonly slackMs: number };
  /** Heap growth that counts as a leak: both the ratio and the absolute growth must be exceeded. */
  readonly heapGrowth: { readonly ratio: number; readonly bytes: number };
  /** Resources (timers, sockets) more than the middle of the run's maximum plus this count as a leak. */
  readonly resourceSlack: number;
}

interface Divergence {
  since: number;
  reported: boolean;
}

type FaultKind = 'redis' | 'slow-loader';

/** Invariant state of one soak run. */
export class InvariantChecker {
  readonly violations: Violation[] = [];
  private readonly divergences = new Map<string, Divergence>();
  private readonly pairKeys = new Map<string, Set<string>>();
  private readonly lastVersion = new Map<string, number>();
  private readonly samples = new Map<string, Array<{ at: number; sample: Sample }>>();
  private readonly activeFaults = new Map<FaultKind, number>();
  private readonly lastFaultEnd = new Map<FaultKind, number>();
  readonly counts = { reads: 0, readErrors: 0, excusedErrors: 0, divergencesSeen: 0, maxReadMs: 0 };

  constructor(private readonly options: CheckerOptions) {}

  faultStarted(kind: FaultKind): void {
    this.activeFaults.set(kind, (this.activeFaults.get(kind) ?? 0) + 1);
  }

  faultEnded(kind: FaultKind, at: number): void {
    this.activeFaults.set(kind, Math.max(0, (this.activeFaults.get(kind) ?? 0) - 1));
    this.lastFaultEnd.set(kind, at);
    // A divergence seen during a Redis fault may persist until Redis is back: its clock starts now.
    if (kind === 'redis')
      for (const divergence of this.divergences.values()) divergence.since = Math.max(divergence.since, at);
  }

  redisFaultActive(): boolean {
    return (this.activeFaults.get('redis') ?? 0) > 0;
  }

  /** During a fault of this kind or within `windowMs` after one ended. */
  recentFault(kind: FaultKind, at: number, windowMs: number): boolean {
    return (this.activeFaults.get(kind) ?? 0) > 0 || at - (this.lastFaultEnd.get(kind) ?? -Infinity) < windowMs;
  }

  violation(kind: ViolationKind, at: number, detail: string): void {
    this.violations.push({ kind, at, detail });
  }

  /**
   * One read of `userId`'s effective set on `instance` at `at`, against what the database granted at
   * that time. A disagreement opens a divergence; it is a violation once it has lasted longer than the
   * bound (its clock restarting when a Redis fault ends); agreement closes it. A `final` read comes
   * after the run went quiet for the bound: any disagreement left is a violation.
   */
  observeRead(
    instance: string,
    userId: string,
    result: ReadResult,
    expected: Expected,
    at: number,
    final = false,
  ): void {
    this.counts.reads += 1;
    this.counts.maxReadMs = Math.max(this.counts.maxReadMs, result.ms);
    const limit =
      this.options.readDeadlineMs * (1 + this.options.deadlineMargin.fraction) + this.options.deadlineMargin.slackMs;
    if (result.ms > limit) {
      this.violation(
        'deadline',
        at,
        `${instance} read of ${userId} took ${result.ms.toFixed(0)} ms (limit ${limit.toFixed(0)} ms)`,
      );
    }
    if (!result.ok) {
      this.counts.readErrors += 1;
      if (result.code === 'UNTYPED')
        this.violation('untyped-error', at, `${instance} read of ${userId}: ${result.message}`);
      const excused =
        this.recentFault('redis', at, this.options.boundMs) ||
        this.recentFault('slow-loader', at, this.options.readDeadlineMs + this.options.boundMs);
      if (excused) this.counts.excusedErrors += 1;
      else
        this.violation(
          'unavailable',
          at,
          `${instance} read of ${userId} failed with no fault: ${result.code} ${result.message}`,
        );
      return; // a failed read says nothing about the cache: open divergences stay open
    }
    const pair = `${instance}\u0000${userId}`;
    const now = new Set<string>();
    const names = new Set<string>();
    for (const server of result.servers) {
      if (names.has(server.name))
        this.violation('duplicate', at, `${instance} listed ${server.name} twice for ${userId}`);
      names.add(server.name);
      const versionKey = `${pair}\u0000${server.name}`;
      const before = this.lastVersion.get(versionKey);
      if (before !== undefined && server.version < before) {
        this.violation(
          'version-regressed',
          at,
          `${instance} showed ${userId} ${server.name} v${server.version} after v${before}`,
        );
      }
      this.lastVersion.set(versionKey, Math.max(before ?? 0, server.version));
      if (!expected.has(server.name)) now.add(`${pair}\u0000${server.name}\u0000extra`);
      else {
        const version = expected.get(server.name);
        if (version !== undefined && server.version < version)
          now.add(`${pair}\u0000${server.name}\u0000stale-version`);
      }
    }
    for (const name of expected.keys()) if (!names.has(name)) now.add(`${pair}\u0000${name}\u0000missing`);

    for (const key of this.pairKeys.get(pair) ?? []) if (!now.has(key)) this.divergences.delete(key);
    this.pairKeys.set(pair, now);
    for (const key of now) {
      let divergence = this.divergences.get(key);
      if (!divergence) {
        divergence = { since: at, reported: false };
        this.divergences.set(key, divergence);
        this.counts.divergencesSeen += 1;
      }
      const expired = final || at - divergence.since > this.options.boundMs;
      if (!divergence.reported && !this.redisFaultActive() && expired) {
        divergence.reported = true;
        const [, , name, kind] = key.split('\u0000');
        this.violation(
          kind as ViolationKind,
          at,
          `${instance}: ${userId} ${kind} ${name ?? '?'} for ${at - divergence.since} ms (bound ${this.options.boundMs} ms; this read took ${result.ms.toFixed(0)} ms)`,
        );
      }
    }
  }

  /** A call bounded by the read deadline (a read, a login) took `ms`: over the deadline plus the margin is a violation. */
  timed(what: string, ms: number, at: number): void {
    this.counts.maxReadMs = Math.max(this.counts.maxReadMs, ms);
    const { fraction, slackMs } = this.options.deadlineMargin;
    const limit = this.options.readDeadlineMs * (1 + fraction) + slackMs;
    if (ms > limit) this.violation('deadline', at, `${what} took ${ms.toFixed(0)} ms (limit ${limit.toFixed(0)} ms)`);
  }

  /** Forget a replaced instance's readers (its successor starts with empty caches). */
  forgetInstance(instance: string): void {
    for (const map of [this.divergences, this.pairKeys, this.lastVersion]) {
      for (const key of map.keys()) if (key.startsWith(`${instance}\u0000`)) map.delete(key);
    }
  }

  sample(instance: string, at: number, sample: Sample): void {
    const series = this.samples.get(instance) ?? [];
    series.push({ at, sample });
    this.samples.set(instance, series);
  }

  /**
   * Heap and resources of every instance that lived through the run (at least six samples): the
   * last third's median heap against the middle third's, the last third's median resource count
   * against the middle third's maximum (the first third is warm-up: caches, pools and connections
   * filling; a median ignores the timers and sockets of work in flight at one sample).
   */
  finish(at: number): void {
    for (const [instance, series] of this.samples) {
      if (series.length < 6) continue;
      const third = Math.floor(series.length / 3);
      const middle = series.slice(third, 2 * third).map((entry) => entry.sample);
      const last = series.slice(2 * third).map((entry) => entry.sample);
      const middleHeap = median(middle.map((sample) => sample.heapBytes));
      const lastHeap = median(last.map((sample) => sample.heapBytes));
      const { ratio, bytes } = this.options.heapGrowth;
      if (lastHeap > middleHeap * ratio && lastHeap - middleHeap > bytes) {
        this.violation('heap-growth', at, `${instance}: heap ${mb(middleHeap)} → ${mb(lastHeap)} MB`);
      }
      const middleResources = Math.max(...middle.map((sample) => sample.resources));
      const lastResources = median(last.map((sample) => sample.resources));
      if (lastResources > middleResources + this.options.resourceSlack) {
        const types = JSON.stringify(series[series.length - 1]?.sample.resourceTypes ?? {});
        this.violation(
          'resource-growth',
          at,
          `${instance}: resources ${middleResources} → ${lastResources} (now ${types})`,
        );
      }
    }
  }

  /** First and last sample of each instance, for the report. */
  sampleSummary(): Record<string, { samples: number; heapMb: [number, number]; resources: [number, number] }> {
    const summary: Record<string, { samples: number; heapMb: [number, number]; resources: [number, number] }> = {};
    for (const [instance, series] of this.samples) {
      const first = series[0]?.sample;
      const last = series[series.length - 1]?.sample;
      if (!first || !last) continue;
      summary[instance] = {
        samples: series.length,
        heapMb: [mb(first.heapBytes), mb(last.heapBytes)],
        resources: [first.resources, last.resources],
      };
    }
    return summary;
  }
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[middle] ?? 0) : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2;
}

function mb(bytes: number): number {
  return Math.round((bytes / 1_048_576) * 10) / 10;
}
