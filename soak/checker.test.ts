import { InvariantChecker, type Expected, type ReadResult } from './checker';
import type { Sample, SeenServer } from './protocol';

const BOUND = 1_000;

function checker(): InvariantChecker {
  return new InvariantChecker({
    boundMs: BOUND,
    readDeadlineMs: 500,
    deadlineMargin: { fraction: 0.1, slackMs: 0 },
    heapGrowth: { ratio: 1.25, bytes: 1_000 },
    resourceSlack: 2,
  });
}

const ok = (servers: SeenServer[], ms = 1): ReadResult => ({ ok: true, ms, servers });
const server = (name: string, version = 1): SeenServer => ({ name, tier: 'private', version });
const expect1 = (entries: Array<[string, number | undefined]>): Expected => new Map(entries);

describe('soak invariant checker', () => {
  it('a revoked server still listed is a violation only once it outlasts the bound', () => {
    const c = checker();
    c.observeRead('i0', 'u1', ok([server('a')]), expect1([]), 0);
    c.observeRead('i0', 'u1', ok([server('a')]), expect1([]), BOUND);
    expect(c.violations).toEqual([]);
    c.observeRead('i0', 'u1', ok([server('a')]), expect1([]), BOUND + 1);
    expect(c.violations.map((v) => v.kind)).toEqual(['extra']);
    c.observeRead('i0', 'u1', ok([server('a')]), expect1([]), BOUND + 2);
    expect(c.violations).toHaveLength(1); // reported once
  });

  it('agreement closes a divergence: a later one starts a new clock', () => {
    const c = checker();
    c.observeRead('i0', 'u1', ok([server('a')]), expect1([]), 0);
    c.observeRead('i0', 'u1', ok([]), expect1([]), 500);
    c.observeRead('i0', 'u1', ok([server('a')]), expect1([]), 900);
    c.observeRead('i0', 'u1', ok([server('a')]), expect1([]), 1_800);
    expect(c.violations).toEqual([]);
  });

  it('a granted server absent past the bound is "missing"; an older version is "stale-version"', () => {
    const c = checker();
    const expected = expect1([
      ['a', 3],
      ['b', 5],
    ]);
    c.observeRead('i0', 'u1', ok([server('b', 4)]), expected, 0);
    c.observeRead('i0', 'u1', ok([server('b', 4)]), expected, BOUND + 1);
    expect(c.violations.map((v) => v.kind).sort()).toEqual(['missing', 'stale-version']);
  });

  it("a Redis fault restarts the bound's clock when it ends; nothing is reported while it lasts", () => {
    const c = checker();
    c.faultStarted('redis');
    c.observeRead('i0', 'u1', ok([server('a')]), expect1([]), 0);
    c.observeRead('i0', 'u1', ok([server('a')]), expect1([]), 5_000);
    c.faultEnded('redis', 5_000);
    c.observeRead('i0', 'u1', ok([server('a')]), expect1([]), 5_000 + BOUND);
    expect(c.violations).toEqual([]);
    c.observeRead('i0', 'u1', ok([server('a')]), expect1([]), 5_000 + BOUND + 1);
    expect(c.violations.map((v) => v.kind)).toEqual(['extra']);
  });

  it('a version lower than one the reader saw before is a violation at once', () => {
    const c = checker();
    c.observeRead('i0', 'u1', ok([server('a', 7)]), expect1([['a', 7]]), 0);
    c.observeRead('i0', 'u1', ok([server('a', 6)]), expect1([['a', 7]]), 1);
    expect(c.violations.map((v) => v.kind)).toEqual(['version-regressed']);
  });

  it('one name listed twice is a violation', () => {
    const c = checker();
    c.observeRead('i0', 'u1', ok([server('a'), server('a')]), expect1([['a', 1]]), 0);
    expect(c.violations.map((v) => v.kind)).toEqual(['duplicate']);
  });

  it('a failed read is excused during and just after a fault, a violation otherwise; untyped errors always are', () => {
    const c = checker();
    const failed: ReadResult = { ok: false, ms: 1, code: 'REDIS_UNAVAILABLE', message: 'down' };
    c.faultStarted('redis');
    c.observeRead('i0', 'u1', failed, expect1([]), 0);
    c.faultEnded('redis', 10);
    c.observeRead('i0', 'u1', failed, expect1([]), 10 + BOUND - 1);
    expect(c.violations).toEqual([]);
    c.observeRead('i0', 'u1', failed, expect1([]), 10 + BOUND + 1);
    c.observeRead('i0', 'u1', { ok: false, ms: 1, code: 'UNTYPED', message: 'TypeError' }, expect1([]), 10 + BOUND + 2);
    expect(c.violations.map((v) => v.kind)).toEqual(['unavailable', 'untyped-error', 'unavailable']);
  });

  it('a read slower than its deadline plus the margin is a violation', () => {
    const c = checker();
    c.observeRead('i0', 'u1', ok([], 550), expect1([]), 0);
    expect(c.violations).toEqual([]);
    c.observeRead('i0', 'u1', ok([], 551), expect1([]), 1);
    expect(c.violations.map((v) => v.kind)).toEqual(['deadline']);
  });

  it('after the quiet period any disagreement left is a violation', () => {
    const c = checker();
    c.observeRead('i0', 'u1', ok([server('a')]), expect1([]), 0, true);
    expect(c.violations.map((v) => v.kind)).toEqual(['extra']);
  });

  it("forgets a replaced instance's readers", () => {
    const c = checker();
    c.observeRead('i0', 'u1', ok([server('a', 9)]), expect1([['a', 9]]), 0);
    c.forgetInstance('i0');
    c.observeRead('i0', 'u1', ok([server('a', 2)]), expect1([['a', 2]]), 1);
    expect(c.violations).toEqual([]);
  });

  const sample = (heapBytes: number, resources: number): Sample => ({
    heapBytes,
    resources,
    resourceTypes: { Timeout: resources },
    stats: {},
  });

  it('flat heap and resources pass; a growing heap or resource count is reported', () => {
    const flat = checker();
    [10_000, 10_100, 9_900, 10_050, 10_000, 10_020].forEach((heap, i) =>
      flat.sample('i0', i, sample(heap, 8 + (i % 2))),
    );
    flat.finish(10);
    expect(flat.violations).toEqual([]);

    const leaking = checker();
    [10_000, 11_000, 12_000, 14_000, 16_000, 18_000].forEach((heap, i) =>
      leaking.sample('i0', i, sample(heap, 8 + 2 * i)),
    );
    leaking.finish(10);
    expect(leaking.violations.map((v) => v.kind).sort()).toEqual(['heap-growth', 'resource-growth']);
  });
});
