import { principalKey, type Grant, type Principal, type ServerConfig } from '@strata/config';
import { createMongoAccessRepository, type MongoAccessRepository } from '@strata/data-schemas';
import { openTestDatabase, type TestDatabase } from './support/test-database';

// Concurrent writers on one repository. Every write is one atomic database operation per document
// and reports what that operation changed, so the reports of concurrent calls must add up: per
// principal, the reported (before → after) changes chain from "no grant" to the bits finally stored,
// each used once — no lost change (stored but never reported) and no phantom one (reported, never
// stored). On FerretDB the repository runs over one socket (see support/test-database.ts).

const PRINCIPALS: readonly Principal[] = [
  ...['u1', 'u2', 'u3', 'u4', 'u5'].map((id): Principal => ({ type: 'user', id })),
  { type: 'group', id: 'g1' },
  { type: 'group', id: 'g2' },
  { type: 'public' },
];

const config = (tag: string): ServerConfig => ({
  type: 'stdio',
  command: 'node',
  args: [tag],
  startup: true,
  requiresOAuth: false,
  perSession: false,
  enabled: true,
});

/** A small seeded PRNG (mulberry32): the same random desired lists on every run. */
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** Random distinct principals (each with probability ½) with random bits 1-7. */
function randomGrants(next: () => number): Grant[] {
  return PRINCIPALS.filter(() => next() < 0.5).map((principal) => ({ principal, bits: 1 + Math.floor(next() * 7) }));
}

/**
 * True when the changes (edges before → after) can be ordered into one chain from 0 to `final`
 * using each exactly once (an Eulerian trail): every value is left as often as it is entered,
 * except 0 (left once more) and `final` (entered once more), and every change is reachable from 0.
 */
function chainsFromZeroTo(final: number, changes: ReadonlyArray<{ before: number; after: number }>): boolean {
  const balance = new Map<number, number>();
  const next = new Map<number, number[]>();
  for (const { before, after } of changes) {
    if (before === after) return false; // a "change" that changed nothing
    balance.set(before, (balance.get(before) ?? 0) + 1);
    balance.set(after, (balance.get(after) ?? 0) - 1);
    next.set(before, [...(next.get(before) ?? []), after]);
  }
  if (final !== 0) {
    balance.set(0, (balance.get(0) ?? 0) - 1);
    balance.set(final, (balance.get(final) ?? 0) + 1);
  }
  if ([...balance.values()].some((value) => value !== 0)) return false;
  const reached = new Set([0]);
  const queue = [0];
  for (let value = queue.pop(); value !== undefined; value = queue.pop()) {
    for (const after of next.get(value) ?? []) {
      if (!reached.has(after)) {
        reached.add(after);
        queue.push(after);
      }
    }
  }
  return changes.every((change) => reached.has(change.before));
}

describe('mongo access repository under concurrent writers', () => {
  let database: TestDatabase;
  let repository: MongoAccessRepository;

  beforeEach(async () => {
    database = await openTestDatabase();
    repository = await createMongoAccessRepository(database.connection);
  });

  afterEach(async () => {
    await database.drop();
  });

  it('the chain check itself: accepts a real history, rejects a lost and a phantom change', () => {
    expect(chainsFromZeroTo(3, [])).toBe(false);
    expect(chainsFromZeroTo(0, [])).toBe(true);
    expect(
      chainsFromZeroTo(3, [
        { before: 0, after: 1 },
        { before: 1, after: 0 },
        { before: 0, after: 3 },
      ]),
    ).toBe(true);
    expect(
      chainsFromZeroTo(3, [
        { before: 0, after: 1 },
        { before: 1, after: 3 },
        { before: 1, after: 3 },
      ]),
    ).toBe(false);
    expect(chainsFromZeroTo(0, [{ before: 0, after: 1 }])).toBe(false);
    expect(
      chainsFromZeroTo(0, [
        { before: 2, after: 0 },
        { before: 0, after: 2 },
      ]),
    ).toBe(true);
    expect(
      chainsFromZeroTo(2, [
        { before: 0, after: 2 },
        { before: 5, after: 6 },
        { before: 6, after: 5 },
      ]),
    ).toBe(false);
  });

  it.each([1, 2, 3])(
    '20 concurrent setGrants (seed %i): per principal, the reported changes chain from 0 to the stored bits',
    async (seed) => {
      const next = random(seed);
      await repository.create({ name: 'notes', config: config('v1'), version: 1, grants: randomGrants(next) });
      const initial = (await repository.get('notes'))?.grants ?? [];
      const desired = Array.from({ length: 20 }, () => randomGrants(next));

      const results = await Promise.all(desired.map((grants) => repository.setGrants('notes', grants)));

      const stored = new Map(
        ((await repository.get('notes'))?.grants ?? []).map((grant) => [principalKey(grant.principal), grant.bits]),
      );
      const reported = new Map<string, Array<{ before: number; after: number }>>();
      // create's grants came from 0 too (it reports nothing; its definition says what it wrote).
      for (const grant of initial) reported.set(principalKey(grant.principal), [{ before: 0, after: grant.bits }]);
      for (const { changed } of results) {
        for (const { principal, before, after } of changed) {
          const key = principalKey(principal);
          reported.set(key, [...(reported.get(key) ?? []), { before, after }]);
        }
      }
      for (const principal of PRINCIPALS) {
        const key = principalKey(principal);
        const final = stored.get(key) ?? 0;
        if (!chainsFromZeroTo(final, reported.get(key) ?? [])) {
          throw new Error(`${key}: changes ${JSON.stringify(reported.get(key) ?? [])} do not chain from 0 to ${final}`);
        }
      }
      // Something happened: the test is not vacuous.
      expect(results.flatMap((result) => result.changed).length).toBeGreaterThan(10);
      // Each result's definition is the server as stored at some point: only known principals, bits 1-7.
      for (const { definition } of results) {
        for (const grant of definition.grants) expect(grant.bits).toBeGreaterThan(0);
      }
    },
  );

  it('two concurrent creates of one name: exactly one resolves, the other rejects with CONFLICT', async () => {
    for (const name of ['notes', 'wiki', 'docs']) {
      const outcomes = await Promise.allSettled(
        ['first', 'second'].map((tag) =>
          repository.create({
            name,
            config: config(tag),
            version: 1,
            grants: [{ principal: { type: 'user', id: tag }, bits: 1 }],
          }),
        ),
      );
      const resolved = outcomes.filter((outcome) => outcome.status === 'fulfilled');
      const rejected = outcomes.filter((outcome) => outcome.status === 'rejected');
      expect(resolved).toHaveLength(1);
      expect(rejected).toHaveLength(1);
      expect(rejected[0]?.reason).toMatchObject({ code: 'CONFLICT' });
      const winner = resolved[0]?.value;
      const stored = await repository.get(name);
      expect(stored?.config).toEqual(winner?.config);
      expect(stored?.grants).toEqual(winner?.grants);
    }
  });

  it('concurrent addMembers and removeMembers: each user is reported added (then removed) exactly once', async () => {
    await repository.createGroup('team', 'Team', []);
    const users = Array.from({ length: 12 }, (_, i) => `u${i}`);
    const batches = Array.from({ length: 8 }, (_, i) => users.filter((_, j) => (i + j) % 3 !== 0));

    const added = (await Promise.all(batches.map((batch) => repository.addMembers('team', batch)))).flat();
    expect([...added].sort()).toEqual([...new Set(batches.flat())].sort());
    const removed = (await Promise.all(batches.map((batch) => repository.removeMembers('team', batch)))).flat();
    expect([...removed].sort()).toEqual([...added].sort());
    await expect(repository.usersOf([{ type: 'group', id: 'team' }])).resolves.toEqual([]);
  });
});
