import { once } from 'node:events';
import { describeEachRedis } from '@strata/test-harness';
import {
  createRedisBackend,
  isConnectionError,
  LeaseWatchdog,
  PrivateTier,
  silentLogger,
  StrataError,
  type Logger,
  type PrivateServerRecord,
  type RegistryBackend,
} from '@strata/registry/internals';
import { connectionFor, stdioConfig } from '../helpers';

/** Resolves after `renew` has been called `count` times. */
function renewals(
  count: number,
  answer: () => Promise<boolean>,
): { renew: () => Promise<boolean>; done: Promise<void> } {
  let calls = 0;
  let finish = (): void => undefined;
  const done = new Promise<void>((resolve) => (finish = resolve));
  return {
    renew: () => {
      calls += 1;
      if (calls === count) finish();
      return answer();
    },
    done,
  };
}

describe('LeaseWatchdog', () => {
  it('aborts its signal with LOCK_LOST when a renewal proves the lease lost, and stops renewing', async () => {
    let calls = 0;
    const watchdog = new LeaseWatchdog({
      renew: () => Promise.resolve(++calls < 2), // renewed once, then lost
      ttlMs: 30,
      logger: silentLogger,
      label: 'test lease',
    });
    await once(watchdog.signal, 'abort');
    expect(watchdog.lost).toBe(true);
    expect(watchdog.signal.reason).toMatchObject({ code: 'LOCK_LOST' });
    const after = calls;
    const more = renewals(1, () => Promise.resolve(true)); // a second watchdog as a clock: 3 ticks
    const clock = new LeaseWatchdog({ renew: more.renew, ttlMs: 30, logger: silentLogger, label: 'clock' });
    await more.done;
    clock.stop();
    expect(calls).toBe(after);
  });

  it('a renewal that fails (Redis blip) is logged, not taken as a loss', async () => {
    const warnings: string[] = [];
    const logger: Logger = { ...silentLogger, warn: (message) => void warnings.push(message) };
    const failing = renewals(3, () => Promise.reject(new Error('ECONNRESET')));
    const watchdog = new LeaseWatchdog({ renew: failing.renew, ttlMs: 30, logger, label: 'test lease' });
    await failing.done;
    await new Promise((resolve) => setImmediate(resolve)); // the third rejection's handler
    watchdog.stop();
    expect(watchdog.signal.aborted).toBe(false);
    expect(warnings.length).toBeGreaterThanOrEqual(2);
    expect(warnings[0]).toBe('test lease: lease renewal failed');
  });

  it('abort() tells the work another reason and stops renewals; stop() is idempotent', () => {
    const watchdog = new LeaseWatchdog({
      renew: () => Promise.resolve(true),
      ttlMs: 30,
      logger: silentLogger,
      label: 'x',
    });
    watchdog.abort(new StrataError('CLOSED', 'closing'));
    expect(watchdog.signal.reason).toMatchObject({ code: 'CLOSED' });
    expect(watchdog.lost).toBe(false);
    watchdog.stop();
    watchdog.stop();
  });
});

describe('isConnectionError', () => {
  it('lists outages and lets everything else through as it is', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' });
    expect(isConnectionError(refused)).toBe(true);
    expect(isConnectionError(new Error('Connection is closed.'))).toBe(true);
    expect(isConnectionError(new Error('LOADING Redis is loading the dataset in memory'))).toBe(true);
    // ioredis's own message while a restarted cluster node's slots settle (the 30-minute cluster soak).
    expect(
      isConnectionError(new Error('Too many Cluster redirections. Last error: ReplyError: MOVED 4623 127.0.0.1:35253')),
    ).toBe(true);
    expect(isConnectionError(new Error('WRONGTYPE Operation against a key holding the wrong kind of value'))).toBe(
      false,
    );
    expect(isConnectionError(new Error('OOM command not allowed when used memory > maxmemory'))).toBe(false);
    expect(isConnectionError(new Error('NOSCRIPT No matching script'))).toBe(false);
    expect(isConnectionError('a string')).toBe(false);
  });
});

describeEachRedis('the loader under the load lock', (redis) => {
  const backends: RegistryBackend[] = [];
  const tiers: PrivateTier[] = [];

  afterEach(async () => {
    tiers.splice(0).forEach((tier) => tier.close());
    await Promise.all(backends.splice(0).map((backend) => backend.close()));
  });

  async function backend(): Promise<RegistryBackend> {
    const created = await createRedisBackend({ connection: connectionFor(redis.topology), keyPrefix: redis.keyPrefix });
    backends.push(created);
    return created;
  }

  it('is told through its signal when the lock is taken from it; nothing is committed', async () => {
    const store = await backend();
    let loaderSignal: AbortSignal | undefined;
    let started = (): void => undefined;
    const loading = new Promise<void>((resolve) => (started = resolve));
    const tier = new PrivateTier({
      store: store.privateStore,
      bus: store.bus,
      lockTtlMs: 150,
      loader: async (_userId, { signal }) => {
        loaderSignal = signal;
        started();
        await once(signal, 'abort'); // a loader that honours its signal stops here
        return [{ name: 'late', config: stdioConfig(), version: 1 } satisfies PrivateServerRecord];
      },
    });
    tiers.push(tier);
    await tier.start();
    const result = tier.ensureLoaded('u1').catch((error: unknown) => error);
    await loading;
    // Another owner takes the lock (as after an expiry): the next renewal proves it lost.
    await redis.client.set(store.keys.userKey('u1', 'lock'), 'someone-else', 'PX', 60_000);
    expect(await result).toMatchObject({ code: 'LOCK_LOST' });
    expect(loaderSignal?.reason).toMatchObject({ code: 'LOCK_LOST' });
    await expect(store.privateStore.read('u1')).resolves.toBeUndefined();
    expect(await redis.client.get(store.keys.userKey('u1', 'lock'))).toBe('someone-else'); // never deleted another's lock
  });

  it('is told through its signal when the private tier closes', async () => {
    const store = await backend();
    let started = (): void => undefined;
    const loading = new Promise<void>((resolve) => (started = resolve));
    let reason: unknown;
    const tier = new PrivateTier({
      store: store.privateStore,
      bus: store.bus,
      loader: async (_userId, { signal }) => {
        started();
        await once(signal, 'abort');
        reason = signal.reason;
        throw signal.reason;
      },
    });
    tiers.push(tier);
    await tier.start();
    const result = tier.ensureLoaded('u1').catch((error: unknown) => error);
    await loading;
    tier.close();
    expect(await result).toMatchObject({ code: 'CLOSED' });
    expect(reason).toMatchObject({ code: 'CLOSED' });
  });

  it('a Redis error that is not an outage (WRONGTYPE) surfaces as what it is, not REDIS_UNAVAILABLE', async () => {
    const store = await backend();
    await redis.client.set(store.keys.tierIndexKey('shared'), 'not a hash');
    const error = await store
      .tierStore('shared')
      .meta()
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toMatch(/^WRONGTYPE/);
    expect(error).not.toMatchObject({ code: 'REDIS_UNAVAILABLE' });
  });
});
