import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import IORedis, { type Cluster, type Redis } from 'ioredis';
import { RedisServerProcess } from '@strata/test-harness';
import {
  createRedisBackend,
  KeyBuilder,
  PrivateTier,
  RedisLeaseKeys,
  type PrivateStore,
  type PrivateTierOptions,
  type RegistryBackend,
} from '@strata/registry/internals';
import { FakeDatabase, gate } from '../helpers';

// Faults of the private tier's load lock (docs/architecture.md, "The private tier"). Every test owns its
// redis-server, so pausing or losing it never disturbs the suites on the shared servers.

const REPO_ROOT = join(__dirname, '..', '..', '..', '..');
const LOAD_HOLDER = join(__dirname, '..', 'fixtures', 'load-holder.ts');

type Settled<T> = { status: 'fulfilled'; value: T } | { status: 'rejected'; reason: unknown };

/** Observes a promise's outcome without ever leaving a rejection unhandled. */
function settle<T>(promise: Promise<T>): Promise<Settled<T>> {
  return promise.then(
    (value) => ({ status: 'fulfilled', value }),
    (reason: unknown) => ({ status: 'rejected', reason }),
  );
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function rawClient(backend: RegistryBackend): Redis | Cluster {
  if (!backend.redis) throw new Error('expected a Redis backend');
  return backend.redis;
}

/** Resolves once the child has exited and its pipes are closed. */
function closed(child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  if (child.exitCode !== null || child.signalCode !== null) {
    if (child.stdout?.closed !== false && child.stderr?.closed !== false) {
      return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
    }
  }
  return new Promise((resolve) => child.once('close', (code, signal) => resolve({ code, signal })));
}

/** Resolves when the child writes `line` on stdout; rejects if it exits first or takes too long. */
function lineFrom(child: ChildProcess, line: string, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    let stdout = '';
    let stderr = '';
    const onStdout = (chunk: Buffer): void => {
      stdout += chunk.toString();
      if (stdout.split('\n').includes(line)) finish();
    };
    const onStderr = (chunk: Buffer): void => {
      stderr += chunk.toString();
    };
    const onExit = (code: number | null, signal: NodeJS.Signals | null): void =>
      finish(new Error(`the child exited (${String(code ?? signal)}) before "${line}":\n${stderr}`));
    const timer = setTimeout(
      () => finish(new Error(`no "${line}" from the child within ${timeoutMs} ms:\n${stderr}`)),
      timeoutMs,
    );
    const finish = (error?: Error): void => {
      clearTimeout(timer);
      child.stdout?.off('data', onStdout);
      child.stderr?.off('data', onStderr);
      child.off('exit', onExit);
      child.stdout?.resume(); // keep draining: the child never blocks on a full pipe
      child.stderr?.resume();
      if (error) reject(error);
      else resolve();
    };
    child.stdout?.on('data', onStdout);
    child.stderr?.on('data', onStderr);
    child.once('exit', onExit);
  });
}

describe('standalone: private tier faults (own redis-server per test)', () => {
  let server: RedisServerProcess | undefined;
  let keyPrefix = '';
  let db: FakeDatabase;
  const backends: RegistryBackend[] = [];
  const tiers: PrivateTier[] = [];
  const children: ChildProcess[] = [];

  beforeEach(async () => {
    server = await RedisServerProcess.start();
    keyPrefix = `pf${randomBytes(4).toString('hex')}`;
    db = new FakeDatabase();
  });

  afterEach(async () => {
    tiers.splice(0).forEach((tier) => tier.close());
    await Promise.all(backends.splice(0).map((backend) => backend.close()));
    await Promise.all(
      children.splice(0).map(async (child) => {
        const done = closed(child);
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
        await done;
      }),
    );
    await server?.stop(); // resumes a paused server first
    server = undefined;
  });

  function url(): string {
    if (!server) throw new Error('no redis-server');
    return server.url;
  }

  async function backend(timeoutMs = 2_000): Promise<RegistryBackend> {
    const created = await createRedisBackend({ connection: { url: url() }, keyPrefix, timeoutMs });
    backends.push(created);
    return created;
  }

  async function instance(
    options: Partial<PrivateTierOptions> = {},
    timeoutMs?: number,
  ): Promise<{ tier: PrivateTier; backend: RegistryBackend }> {
    const created = await backend(timeoutMs);
    const tier = new PrivateTier({
      store: created.privateStore,
      bus: created.bus,
      loader: (userId) => db.load(userId),
      ...options,
    });
    tiers.push(tier);
    await tier.start();
    return { tier, backend: created };
  }

  it('Redis down: a user loaded here is served its last copy (bounded), an unloaded one gets REDIS_UNAVAILABLE, an invalidated one is not served stale', async () => {
    db.grant('u1', 'alpha');
    db.grant('u2', 'beta');
    db.grant('u3', 'gamma');
    let now = Date.parse('2030-01-01T00:00:00Z');
    const clock = { now: (): number => now };
    const { tier } = await instance({ clock, nearCacheTtlMs: 1_000, staleIfErrorMs: 30_000 }, 300);
    await expect(tier.ensureLoaded('u1')).resolves.toMatchObject([{ name: 'alpha' }]);
    await expect(tier.ensureLoaded('u3')).resolves.toMatchObject([{ name: 'gamma' }]);
    await tier.invalidateUsers(['u3']); // access changed: u3's copy is gone, never served stale
    await server?.kill();
    now += 5_000; // u1's copy expired 4 s ago: within the 30 s stale bound
    await expect(tier.ensureLoaded('u1')).resolves.toMatchObject([{ name: 'alpha' }]);
    expect(tier.stats.staleServed).toBe(1);
    await expect(tier.ensureLoaded('u2')).rejects.toMatchObject({ code: 'REDIS_UNAVAILABLE' });
    await expect(tier.ensureLoaded('u3')).rejects.toMatchObject({ code: 'REDIS_UNAVAILABLE' });
    now += 30_000; // past the bound: an error again, not an ever older copy
    await expect(tier.ensureLoaded('u1')).rejects.toMatchObject({ code: 'REDIS_UNAVAILABLE' });
  });

  it('Redis paused: a cold load answers by its own deadline (LOAD_TIMEOUT), not after the longer Redis command deadline', async () => {
    db.grant('u1', 'alpha');
    // Every Redis call may take 5 s before it fails; the load's deadline is 300 ms.
    const { tier } = await instance({ loadTimeoutMs: 300 }, 5_000);
    server?.pause();
    await expect(tier.ensureLoaded('u1')).rejects.toMatchObject({ code: 'LOAD_TIMEOUT' });
    server?.resume();
    await expect(tier.ensureLoaded('u1')).resolves.toMatchObject([{ name: 'alpha' }]);
  });

  it('a lock attempt that timed out on a paused Redis is released when Redis wakes: the next login loads at once, not after the lock TTL', async () => {
    // Redis runs what it received once it answers again: the timed-out attempt takes the lock
    // with a token nobody holds. Without the release sent right behind it, every caller for this
    // user waits out the 20 s lock TTL (here: LOAD_TIMEOUT after 2 s).
    db.grant('u1', 'alpha');
    const created = await backend(300);
    const real = created.privateStore;
    let pauseAtAcquire = true;
    const store: PrivateStore = {
      read: (userId) => real.read(userId),
      acquire: (userId, ttlMs, token) => {
        if (pauseAtAcquire) server?.pause(); // after the warm read, before the lock: the attempt is sent into the pause
        return real.acquire(userId, ttlMs, token);
      },
      renew: (userId, token, ttlMs) => real.renew(userId, token, ttlMs),
      release: (userId, token) => real.release(userId, token),
      commit: (userId, token, entry, ttlMs, origin) => real.commit(userId, token, entry, ttlMs, origin),
      decode: (raw) => real.decode(raw),
      invalidate: (userIds, origin) => real.invalidate(userIds, origin),
    };
    const tier = new PrivateTier({
      store,
      bus: created.bus,
      loader: (userId) => db.load(userId),
      lockTtlMs: 20_000,
      loadTimeoutMs: 2_000,
    });
    tiers.push(tier);
    await tier.start();
    await expect(tier.ensureLoaded('u1')).rejects.toMatchObject({ code: 'REDIS_UNAVAILABLE' });
    pauseAtAcquire = false;
    server?.resume();
    await expect(tier.ensureLoaded('u1')).resolves.toMatchObject([{ name: 'alpha' }]);
    expect(db.reads).toBe(1);
  });

  it('a lease attempt (the app leader lease) that timed out on a paused Redis is released when Redis wakes', async () => {
    const client = new IORedis(url(), { maxRetriesPerRequest: 1 });
    try {
      const leases = new RedisLeaseKeys(client, 300);
      const key = `${keyPrefix}:lease`;
      await client.ping(); // connected before the pause: the attempt is written into the paused server
      server?.pause();
      await expect(leases.acquire(key, 20_000)).rejects.toMatchObject({ code: 'REDIS_UNAVAILABLE' });
      server?.resume();
      // Without the release sent behind it, the late attempt holds the key for 20 s.
      await expect(leases.acquire(key, 20_000)).resolves.toMatchObject({ acquired: true });
    } finally {
      client.disconnect();
    }
  });

  it('a holder paused past its lease loses it: its late commit is refused (LOCK_LOST), newer data stays', async () => {
    db.set('u1', ['older']);
    const paused = gate();
    const a = await instance(
      {
        lockTtlMs: 300,
        hooks: {
          beforeCommit: async () => {
            paused.arrive();
            await paused.wait;
          },
        },
      },
      200,
    );
    const b = await instance();

    const loadingA = settle(a.tier.ensureLoaded('u1'));
    await paused.reached; // A holds the lock and has read "older"; it has not committed
    // The fault: Redis answers nothing for longer than the lock TTL (in Redis's clock) and than
    // A's renewal deadline, so the lease lapses while A still believes it is loading.
    server?.pause();
    await delay(700);
    server?.resume();
    await rawClient(a.backend).ping(); // A's connection is usable again (its queued renewals ran)

    db.set('u1', ['newer']);
    await expect(b.tier.ensureLoaded('u1')).resolves.toMatchObject([{ name: 'newer' }]);

    paused.open();
    const outcome = await loadingA;
    expect(outcome.status).toBe('rejected');
    expect(outcome.status === 'rejected' && outcome.reason).toMatchObject({ code: 'LOCK_LOST' });
    expect(a.tier.stats.lockLost).toBe(1);
    expect(a.tier.stats.commits).toBe(0);
    await expect(b.backend.privateStore.read('u1')).resolves.toMatchObject({ servers: [{ name: 'newer' }] });
    // A serves what B committed, never its own stale read.
    await expect(a.tier.ensureLoaded('u1')).resolves.toMatchObject([{ name: 'newer' }]);
    expect(db.reads).toBe(2);
  });

  it('a loader process killed with SIGKILL mid-load leaves no flag; its lock expires and the next caller loads', async () => {
    const userId = 'auth0|crash';
    db.set(userId, ['alpha', 'beta']);
    const keys = new KeyBuilder(keyPrefix);
    const lockKey = keys.userKey(userId, 'lock');
    const serversKey = keys.userKey(userId, 'servers');
    expect(lockKey).toBe(`{${keyPrefix}:u:auth0%7Ccrash}:lock`);

    const holder = spawn(process.execPath, ['--require', 'tsx/cjs', LOAD_HOLDER, url(), keyPrefix, userId], {
      cwd: REPO_ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.push(holder);
    await lineFrom(holder, 'loading', 20_000); // the holder's loader is running: it holds the lock

    const { tier, backend: mine } = await instance({ loadTimeoutMs: 5_000 });
    const raw = rawClient(mine);
    await expect(raw.exists(lockKey)).resolves.toBe(1);

    const exit = closed(holder);
    holder.kill('SIGKILL');
    await expect(exit).resolves.toMatchObject({ signal: 'SIGKILL' });

    // Nothing half-written: no loaded flag, no servers.
    await expect(mine.privateStore.read(userId)).resolves.toBeUndefined();
    await expect(raw.exists(serversKey)).resolves.toBe(0);

    // No "loaded" will ever be published: the caller's fallback timer (capped at the dead lock's
    // remaining TTL) ends its wait, then it takes the lock and loads.
    const servers = await tier.ensureLoaded(userId);
    expect(servers.map((server) => server.name)).toEqual(['alpha', 'beta']);
    expect(tier.stats.loaderCalls).toBe(1);
    expect(tier.stats.waits).toBeGreaterThanOrEqual(1);
    expect(db.reads).toBe(1);
    await expect(mine.privateStore.read(userId)).resolves.toMatchObject({
      servers: [{ name: 'alpha' }, { name: 'beta' }],
    });
    await expect(raw.exists(lockKey)).resolves.toBe(0); // the commit released the lock
  });

  it('the load lock is owner-checked: a holder whose lock was taken over cannot release, renew or commit', async () => {
    const storeA = (await backend()).privateStore;
    const b = await backend();
    const storeB = b.privateStore;
    const raw = rawClient(b);
    const lockKey = b.keys.userKey('u1', 'lock');

    const first = await storeA.acquire('u1', 10_000);
    if (!first.acquired) throw new Error('A should have taken the free lock');
    await expect(storeB.acquire('u1', 10_000)).resolves.toMatchObject({ acquired: false });
    await raw.del(lockKey); // A's lock expires (simulated)
    const second = await storeB.acquire('u1', 10_000);
    if (!second.acquired) throw new Error('B should have taken the expired lock');
    expect(second.token).not.toBe(first.token);

    await expect(storeA.release('u1', first.token)).resolves.toBe(false);
    await expect(raw.get(lockKey)).resolves.toBe(second.token);
    await expect(storeA.renew('u1', first.token, 60_000)).resolves.toBe(false);
    const ttl = await raw.pttl(lockKey);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(10_000); // not extended to A's 60 s
    const late = { servers: [], generation: first.generation, loadedAt: new Date(0).toISOString() };
    await expect(storeA.commit('u1', first.token, late, 60_000, 'a')).resolves.toEqual({ status: 'lock-lost' });
    await expect(storeA.read('u1')).resolves.toBeUndefined();
    await expect(raw.get(lockKey)).resolves.toBe(second.token);

    await expect(storeB.release('u1', second.token)).resolves.toBe(true);
    await expect(raw.exists(lockKey)).resolves.toBe(0);
  });
});
