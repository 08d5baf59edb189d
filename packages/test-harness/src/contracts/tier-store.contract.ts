import type { ChangeBus, ChangeEvent, TierName, TierStore } from '@strata/registry/internals';
import { stored } from './servers';

/**
 * What {@link tierStoreContract} tests: the stores of one storage (one per tier) and the bus they
 * publish their events on. A `RegistryBackend` is one as it is.
 */
export interface TierStoreFixture {
  /** The store of a tier; the contract writes to `shared` and checks that `app` is kept apart. */
  tierStore(tier: TierName): TierStore;
  /** The bus the stores publish the events passed to their writes on (started by the contract when it listens). */
  readonly bus: ChangeBus;
}

/**
 * Registers the conformance tests of the {@link TierStore} interface (Jest `it`s; call it inside
 * a `describe`, e.g. the suite of `describeEachBackend`), in the style of `@keyv/test-suite`.
 * `factory` is called before each test and must give empty storage (a fresh key prefix); the
 * contract closes nothing: whoever made the fixture closes it (describeEachBackend does).
 *
 * ```ts
 * describeEachBackend('tier store conformance', (ctx) => tierStoreContract(() => ctx.newBackend()));
 * ```
 */
export function tierStoreContract(factory: () => Promise<TierStoreFixture> | TierStoreFixture): void {
  let backend: TierStoreFixture;
  let store: TierStore;

  beforeEach(async () => {
    backend = await factory();
    store = backend.tierStore('shared');
  });

  it('starts empty', async () => {
    await expect(store.snapshot()).resolves.toEqual({ tierVersion: 0, epoch: '', servers: [] });
    await expect(store.get('absent')).resolves.toBeUndefined();
  });

  it('puts, gets and lists servers; the tier version counts changes', async () => {
    await expect(store.put(stored('alpha', 1))).resolves.toMatchObject({ written: true, tierVersion: 1 });
    await expect(store.put(stored('beta', 2))).resolves.toMatchObject({ written: true, tierVersion: 2 });
    await expect(store.get('alpha')).resolves.toEqual(stored('alpha', 1));
    const snapshot = await store.snapshot();
    expect(snapshot.tierVersion).toBe(2);
    expect([...(snapshot.servers ?? [])].sort((a, b) => a.name.localeCompare(b.name))).toEqual([
      stored('alpha', 1),
      stored('beta', 2),
    ]);
  });

  it('answers "unchanged" to a caller that holds the current tier version', async () => {
    await store.put(stored('alpha', 1));
    // Never replaced: the epoch is '' (see the epoch test below).
    await expect(store.snapshot({ tierVersion: 1, epoch: '' })).resolves.toEqual({
      tierVersion: 1,
      epoch: '',
      servers: undefined,
    });
    await store.put(stored('alpha', 2));
    await expect(store.snapshot({ tierVersion: 1, epoch: '' })).resolves.toEqual({
      tierVersion: 2,
      epoch: '',
      servers: [stored('alpha', 2)],
    });
  });

  it('a whole replace gives the tier a new epoch; a caller holding another epoch gets the servers, never "unchanged"', async () => {
    await store.put(stored('alpha', 1));
    await store.replaceAll([stored('alpha', 2)]);
    const first = await store.snapshot();
    expect(first.epoch).not.toBe('');
    await expect(store.meta()).resolves.toMatchObject({ epoch: first.epoch });
    // Same version, other epoch (a tier rebuilt after a flush counts versions again from 1).
    await expect(store.snapshot({ tierVersion: first.tierVersion, epoch: 'other' })).resolves.toEqual({
      tierVersion: first.tierVersion,
      epoch: first.epoch,
      servers: [stored('alpha', 2)],
    });
    await expect(store.snapshot({ tierVersion: first.tierVersion, epoch: first.epoch })).resolves.toMatchObject({
      servers: undefined,
    });
    await store.replaceAll([stored('alpha', 3)]);
    expect((await store.snapshot()).epoch).not.toBe(first.epoch);
  });

  it('refuses a write whose version is not newer than the stored one', async () => {
    await store.put(stored('alpha', 5));
    await expect(store.put(stored('alpha', 4))).resolves.toMatchObject({ written: false, storedVersion: 5 });
    await expect(store.put(stored('alpha', 5))).resolves.toMatchObject({ written: false, storedVersion: 5 });
    await expect(store.get('alpha')).resolves.toMatchObject({ version: 5 });
    await expect(store.snapshot()).resolves.toMatchObject({ tierVersion: 1 });
  });

  it('keeps the newest of many concurrent writes of one server', async () => {
    const versions = Array.from({ length: 50 }, (_, index) => index + 1).sort(() => Math.random() - 0.5);
    await Promise.all(versions.map((version) => store.put(stored('alpha', version))));
    await expect(store.get('alpha')).resolves.toMatchObject({ version: 50 });
  });

  it('removes a server from values and index', async () => {
    await store.put(stored('alpha', 1));
    await store.put(stored('beta', 2));
    await expect(store.remove('alpha')).resolves.toBe(true);
    await expect(store.remove('alpha')).resolves.toBe(false);
    await expect(store.get('alpha')).resolves.toBeUndefined();
    await expect(store.snapshot()).resolves.toEqual({ tierVersion: 3, epoch: '', servers: [stored('beta', 2)] });
  });

  it('replaces the whole tier: removed servers disappear, kept ones are rewritten', async () => {
    await store.put(stored('alpha', 1));
    await store.put(stored('beta', 2));
    const result = await store.replaceAll([stored('beta', 3), stored('gamma', 4)]);
    expect(result).toEqual({ replaced: true, tierVersion: 3 });
    await expect(store.get('alpha')).resolves.toBeUndefined();
    const snapshot = await store.snapshot();
    expect([...(snapshot.servers ?? [])].sort((a, b) => a.name.localeCompare(b.name))).toEqual([
      stored('beta', 3),
      stored('gamma', 4),
    ]);
  });

  it('records the content hash of a replace as the tier meta', async () => {
    await expect(store.meta()).resolves.toEqual({ tierVersion: 0, contentHash: undefined, epoch: '' });
    await store.replaceAll([stored('alpha', 1)], { contentHash: 'abc123' });
    const epoch = expect.stringMatching(/^[0-9a-f]{16}$/) as unknown as string; // set by the replace
    await expect(store.meta()).resolves.toEqual({ tierVersion: 1, contentHash: 'abc123', epoch });
    await store.put(stored('beta', 2));
    await expect(store.meta()).resolves.toEqual({ tierVersion: 2, contentHash: 'abc123', epoch });
  });

  it('refuses a replace fenced on an outdated tier version', async () => {
    await store.put(stored('alpha', 1));
    await expect(store.replaceAll([stored('beta', 2)], { expectedTierVersion: 0 })).resolves.toEqual({
      replaced: false,
      tierVersion: 1,
    });
    await expect(store.get('alpha')).resolves.toMatchObject({ version: 1 });
    await expect(store.replaceAll([stored('beta', 2)], { expectedTierVersion: 1 })).resolves.toEqual({
      replaced: true,
      tierVersion: 2,
    });
  });

  it('never shows a reader a mix of the old and the new tier during replaces', async () => {
    const generation = (g: number) => Array.from({ length: 20 }, (_, i) => stored(`s${i}`, g * 100 + i));
    await store.replaceAll(generation(1));
    let stop = false;
    const mixes: string[] = [];
    const reader = (async () => {
      let reads = 0;
      while (!stop || reads < 20) {
        const { servers } = await store.snapshot();
        const generations = new Set((servers ?? []).map((server) => Math.floor(server.version / 100)));
        if (generations.size !== 1 || servers?.length !== 20) mixes.push(JSON.stringify([...generations]));
        reads += 1;
      }
    })();
    for (let g = 2; g <= 10; g += 1) await store.replaceAll(generation(g));
    stop = true;
    await reader;
    expect(mixes).toEqual([]);
  });

  it('publishes the event of a write on the bus', async () => {
    await backend.bus.start();
    const received: ChangeEvent[] = [];
    const arrived = new Promise<void>((resolve) =>
      backend.bus.subscribe((event) => {
        received.push(event);
        if (event.type === 'server.removed') resolve();
      }),
    );
    await store.put(stored('alpha', 1), { type: 'server.put', tier: 'shared', name: 'alpha', version: 1, origin: 'x' });
    await store.remove('alpha', { type: 'server.removed', tier: 'shared', name: 'alpha', version: 2, origin: 'x' });
    await arrived;
    expect(received.map((event) => event.type)).toEqual(['server.put', 'server.removed']);
  });

  it('keeps tiers apart: the app tier does not see shared servers', async () => {
    await store.put(stored('alpha', 1));
    await expect(backend.tierStore('app').get('alpha')).resolves.toBeUndefined();
    await expect(backend.tierStore('app').snapshot()).resolves.toEqual({ tierVersion: 0, epoch: '', servers: [] });
  });
}
