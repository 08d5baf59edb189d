import type { ChangeBus, ChangeEvent, LoadLockAttempt, PrivateStore, UserEntry } from '@strata/registry/internals';
import { stored } from './servers';

/**
 * What {@link privateStoreContract} tests: a private store and the bus it publishes `user.loaded`
 * and `users.invalidated` on. A `RegistryBackend` is one as it is.
 */
export interface PrivateStoreFixture {
  /** The store under test. */
  readonly privateStore: PrivateStore;
  /** The bus the store publishes on (started by the contract before it listens). */
  readonly bus: ChangeBus;
}

/** A load-lock TTL no test outlives. */
const LOCK_TTL_MS = 10_000;
/** A data TTL no test outlives. */
const DATA_TTL_MS = 60_000;
/** The `origin` the contract's commits and invalidations carry. */
const ORIGIN = 'contract';
/** How long a test waits at most for a TTL to run out (then fails). */
const EXPIRY_DEADLINE_MS = 5_000;

/**
 * Registers the conformance tests of the {@link PrivateStore} interface (Jest `it`s; call it
 * inside a `describe`, e.g. the suite of `describeEachBackend`), in the style of
 * `@keyv/test-suite`: the load lock (acquire, renew, release), the fenced commit (token and
 * generation), invalidation, entry TTL and the events on the bus. `factory` is called before each
 * test and must give empty storage (a fresh key prefix); the contract closes nothing: whoever made
 * the fixture closes it (describeEachBackend does). TTL tests wait in real time (a few hundred ms):
 * Redis announces no expiry, so they poll with a deadline.
 *
 * ```ts
 * describeEachBackend('private store conformance', (ctx) => privateStoreContract(() => ctx.newBackend()));
 * ```
 */
export function privateStoreContract(factory: () => Promise<PrivateStoreFixture> | PrivateStoreFixture): void {
  let fixture: PrivateStoreFixture;
  let store: PrivateStore;
  const recorders: Recorder[] = [];

  beforeEach(async () => {
    fixture = await factory();
    store = fixture.privateStore;
  });

  afterEach(() => {
    for (const recorder of recorders.splice(0)) recorder.stop();
  });

  /** Starts the bus and records its events from now on. */
  async function record(): Promise<Recorder> {
    const recorder = await recordEvents(fixture.bus);
    recorders.push(recorder);
    return recorder;
  }

  /** Loads `userId` as a loader does (acquire, commit); resolves with the committed entry. */
  async function load(userId: string, names: string[], ttlMs = DATA_TTL_MS): Promise<UserEntry> {
    const lock = acquired(await store.acquire(userId, LOCK_TTL_MS));
    const entry = entryOf(lock.generation, names);
    await expect(store.commit(userId, lock.token, entry, ttlMs, ORIGIN)).resolves.toEqual({ status: 'committed' });
    return entry;
  }

  it('acquire on an unloaded user takes the load lock and reports the user’s generation', async () => {
    const lock = acquired(await store.acquire('u1', LOCK_TTL_MS));
    expect(Object.keys(lock).sort()).toEqual(['acquired', 'generation', 'token']);
    expect(typeof lock.token).toBe('string');
    expect(lock.token).not.toBe('');
    expect(Number.isInteger(lock.generation)).toBe(true);
    expect(lock.generation).toBeGreaterThanOrEqual(0);
    // Locks are per user: another user's lock is free.
    await expect(store.acquire('u2', LOCK_TTL_MS)).resolves.toMatchObject({ acquired: true });
  });

  it('a second acquire while the lock is held answers how long it has left (0 < remainingMs ≤ TTL)', async () => {
    acquired(await store.acquire('u1', LOCK_TTL_MS));
    const second = await store.acquire('u1', LOCK_TTL_MS);
    expect(Object.keys(second).sort()).toEqual(['acquired', 'remainingMs']);
    expect(second.acquired).toBe(false);
    expect(remainingOf(second)).toBeGreaterThan(0);
    expect(remainingOf(second)).toBeLessThanOrEqual(LOCK_TTL_MS);
  });

  it('the owner renews its lock (extending it) and releases it; a released lock can be taken again', async () => {
    const lock = acquired(await store.acquire('u1', 1_000));
    await expect(store.renew('u1', lock.token, LOCK_TTL_MS)).resolves.toBe(true);
    const held = remainingOf(await store.acquire('u1', LOCK_TTL_MS));
    expect(held).toBeGreaterThan(1_000); // renewed to LOCK_TTL_MS, not left at 1 s
    expect(held).toBeLessThanOrEqual(LOCK_TTL_MS);
    await expect(store.release('u1', lock.token)).resolves.toBe(true);
    await expect(store.release('u1', lock.token)).resolves.toBe(false); // no longer owned
    const next = acquired(await store.acquire('u1', LOCK_TTL_MS));
    expect(next.token).not.toBe(lock.token);
    expect(next.generation).toBe(lock.generation);
  });

  it('renew and release with a wrong token fail and leave the lock to its owner', async () => {
    const lock = acquired(await store.acquire('u1', LOCK_TTL_MS));
    await expect(store.renew('u1', 'not-the-token', LOCK_TTL_MS)).resolves.toBe(false);
    await expect(store.release('u1', 'not-the-token')).resolves.toBe(false);
    await expect(store.acquire('u1', LOCK_TTL_MS)).resolves.toMatchObject({ acquired: false });
    await expect(store.renew('u1', lock.token, LOCK_TTL_MS)).resolves.toBe(true);
    await expect(store.release('u1', lock.token)).resolves.toBe(true);
  });

  it('commit with the owner’s token and generation writes the entry, releases the lock and publishes user.loaded', async () => {
    const recorder = await record();
    const lock = acquired(await store.acquire('u1', LOCK_TTL_MS));
    const entry = entryOf(lock.generation, ['alpha', 'beta']);
    await expect(store.commit('u1', lock.token, entry, DATA_TTL_MS, ORIGIN)).resolves.toEqual({ status: 'committed' });
    await expect(store.read('u1')).resolves.toEqual(entry);
    await expect(store.release('u1', lock.token)).resolves.toBe(false); // the commit released it
    const event = await recorder.until((e) => e.type === 'user.loaded' && e.userId === 'u1');
    expect(event).toMatchObject({ type: 'user.loaded', userId: 'u1', generation: lock.generation, origin: ORIGIN });
    await expect(store.read('u2')).resolves.toBeUndefined();
  });

  it('acquire after a commit answers loaded: true (read the entry instead)', async () => {
    await load('u1', ['alpha']);
    await expect(store.acquire('u1', LOCK_TTL_MS)).resolves.toEqual({ acquired: false, loaded: true });
    await expect(store.acquire('u2', LOCK_TTL_MS)).resolves.toMatchObject({ acquired: true });
  });

  it('the entry a user.loaded event carries (if any) decodes to the committed entry; malformed input decodes to undefined', async () => {
    const recorder = await record();
    const entry = await load('u1', ['alpha']);
    const event = await recorder.until((e) => e.type === 'user.loaded' && e.userId === 'u1');
    const carried = event.type === 'user.loaded' ? event.entry : undefined;
    if (carried !== undefined) await expect(store.decode(carried)).resolves.toEqual(entry);
    await expect(store.decode('not json')).resolves.toBeUndefined();
    await expect(store.decode('{"value":{"servers":"none","generation":"x"}}')).resolves.toBeUndefined();
  });

  it('commit after an invalidation (generation moved) answers stale-generation, writes nothing and frees the lock', async () => {
    const lock = acquired(await store.acquire('u1', LOCK_TTL_MS));
    await store.invalidate(['u1'], ORIGIN);
    const recorder = await record();
    const outcome = await store.commit('u1', lock.token, entryOf(lock.generation, ['alpha']), DATA_TTL_MS, ORIGIN);
    expect(outcome.status).toBe('stale-generation');
    // The lock's end is announced: waiters elsewhere try again now, not at the lock's TTL.
    await expect(recorder.until((event) => event.type === 'user.unlocked')).resolves.toMatchObject({
      type: 'user.unlocked',
      userId: 'u1',
    });
    const current = outcome.status === 'stale-generation' ? outcome.generation : Number.NaN;
    expect(Number.isInteger(current)).toBe(true);
    expect(current).toBeGreaterThan(lock.generation);
    await expect(store.read('u1')).resolves.toBeUndefined();
    // The lock is free at once, so the loader can retry against the new generation.
    await expect(store.acquire('u1', LOCK_TTL_MS)).resolves.toMatchObject({ acquired: true, generation: current });
  });

  it('commit with a wrong token answers lock-lost, writes nothing and leaves the lock to its owner', async () => {
    const lock = acquired(await store.acquire('u1', LOCK_TTL_MS));
    const entry = entryOf(lock.generation, ['alpha']);
    await expect(store.commit('u1', 'not-the-token', entry, DATA_TTL_MS, ORIGIN)).resolves.toEqual({
      status: 'lock-lost',
    });
    await expect(store.read('u1')).resolves.toBeUndefined();
    await expect(store.commit('u2', lock.token, entry, DATA_TTL_MS, ORIGIN)).resolves.toEqual({ status: 'lock-lost' });
    await expect(store.read('u2')).resolves.toBeUndefined();
    await expect(store.release('u1', lock.token)).resolves.toBe(true);
  });

  it('commit after the lock expired answers lock-lost and writes nothing, whether or not another loader took the lock', async () => {
    const first = acquired(await store.acquire('u1', 150));
    const entry = entryOf(first.generation, ['alpha']);
    // Another loader takes the lock once it expires: wait as long as the store says it has left.
    const deadline = Date.now() + EXPIRY_DEADLINE_MS;
    let attempt = await store.acquire('u1', LOCK_TTL_MS);
    while (!attempt.acquired) {
      if (Date.now() > deadline) throw new Error('the load lock did not expire');
      await delay(remainingOf(attempt) + 5);
      attempt = await store.acquire('u1', LOCK_TTL_MS);
    }
    const second = attempt;
    await expect(store.commit('u1', first.token, entry, DATA_TTL_MS, ORIGIN)).resolves.toEqual({ status: 'lock-lost' });
    await expect(store.read('u1')).resolves.toBeUndefined();
    await expect(store.release('u1', second.token)).resolves.toBe(true); // the new holder's lock was untouched
    // Nobody holds the lock now: the expired token still commits nothing.
    await expect(store.commit('u1', first.token, entry, DATA_TTL_MS, ORIGIN)).resolves.toEqual({ status: 'lock-lost' });
    await expect(store.read('u1')).resolves.toBeUndefined();
  });

  it('invalidate drops the entries of exactly the listed users, bumps their generations and announces them on the bus', async () => {
    const loaded = {
      u1: await load('u1', ['alpha']),
      u2: await load('u2', ['beta']),
      u3: await load('u3', ['gamma']),
    };
    const recorder = await record();
    await store.invalidate(['u1', 'u2'], ORIGIN);
    await expect(store.read('u1')).resolves.toBeUndefined();
    await expect(store.read('u2')).resolves.toBeUndefined();
    await expect(store.read('u3')).resolves.toEqual(loaded.u3);
    for (const userId of ['u1', 'u2'] as const) {
      const lock = acquired(await store.acquire(userId, LOCK_TTL_MS));
      expect(lock.generation).toBeGreaterThan(loaded[userId].generation);
    }
    await Promise.all(
      ['u1', 'u2'].map((userId) => recorder.until((e) => e.type === 'users.invalidated' && e.userIds.includes(userId))),
    );
    // One event names them all where their keys share a slot (memory, standalone); a cluster
    // announces one event per hash slot. Either way: each listed user once, nobody else.
    const announced = recorder.events.filter((e) => e.type === 'users.invalidated');
    expect(announced.flatMap((e) => e.userIds).sort()).toEqual(['u1', 'u2']);
    expect(announced.map((e) => e.origin)).toEqual(announced.map(() => ORIGIN));
  });

  it('invalidate of no users changes nothing and announces nothing', async () => {
    const loaded = await load('u1', ['alpha']);
    const lock = acquired(await store.acquire('u2', LOCK_TTL_MS));
    const recorder = await record();
    await store.invalidate([], ORIGIN);
    await expect(store.read('u1')).resolves.toEqual(loaded);
    // No generation moved: a commit against the generation read before goes through.
    const entry = entryOf(lock.generation, ['beta']);
    await expect(store.commit('u2', lock.token, entry, DATA_TTL_MS, ORIGIN)).resolves.toEqual({ status: 'committed' });
    // The commit's event comes after anything the invalidation could have published.
    await recorder.until((e) => e.type === 'user.loaded' && e.userId === 'u2');
    expect(recorder.events.filter((e) => e.type === 'users.invalidated')).toEqual([]);
  });

  it('an entry expires after its TTL, not before; then the user can be loaded again', async () => {
    const ttlMs = 200;
    const committedAt = Date.now();
    const entry = await load('u1', ['alpha'], ttlMs);
    await expect(store.read('u1')).resolves.toEqual(entry);
    // Redis (and Keyv's memory store) announce no expiry: re-check with a deadline.
    const deadline = Date.now() + EXPIRY_DEADLINE_MS;
    while ((await store.read('u1')) !== undefined) {
      if (Date.now() > deadline) throw new Error('the entry did not expire');
      await delay(25);
    }
    expect(Date.now() - committedAt).toBeGreaterThanOrEqual(ttlMs - 5); // 5 ms: clock granularity
    await expect(store.acquire('u1', LOCK_TTL_MS)).resolves.toMatchObject({ acquired: true });
  });
}

/** The bus's events since the recorder started. */
interface Recorder {
  readonly events: readonly ChangeEvent[];
  /** Resolves with the first recorded event that matches (already recorded, or when it arrives). */
  until(match: (event: ChangeEvent) => boolean): Promise<ChangeEvent>;
  stop(): void;
}

async function recordEvents(bus: ChangeBus): Promise<Recorder> {
  await bus.start();
  const events: ChangeEvent[] = [];
  const waiters = new Set<{ match: (event: ChangeEvent) => boolean; resolve: (event: ChangeEvent) => void }>();
  const stop = bus.subscribe((event) => {
    events.push(event);
    for (const waiter of [...waiters]) {
      if (!waiter.match(event)) continue;
      waiters.delete(waiter);
      waiter.resolve(event);
    }
  });
  return {
    events,
    until(match) {
      const seen = events.find(match);
      return seen ? Promise.resolve(seen) : new Promise((resolve) => waiters.add({ match, resolve }));
    },
    stop,
  };
}

/** The attempt as a taken lock; fails the test when the lock was not taken. */
function acquired(attempt: LoadLockAttempt): Extract<LoadLockAttempt, { acquired: true }> {
  if (!attempt.acquired) throw new Error(`expected to take the load lock, got ${JSON.stringify(attempt)}`);
  return attempt;
}

/** How long the holder's lock has left; fails the test unless the attempt found the lock held. */
function remainingOf(attempt: LoadLockAttempt): number {
  if (attempt.acquired || !('remainingMs' in attempt)) {
    throw new Error(`expected the load lock to be held, got ${JSON.stringify(attempt)}`);
  }
  return attempt.remainingMs;
}

/** An entry of private servers named `names`, committed against `generation`. */
function entryOf(generation: number, names: readonly string[]): UserEntry {
  return {
    servers: names.map((name, index) => stored(name, index + 1, 'private')),
    generation,
    loadedAt: new Date(0).toISOString(),
  };
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
