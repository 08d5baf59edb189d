import {
  createStrata,
  PERMISSION,
  type AccessRepository,
  type Grant,
  type Strata,
  type StrataOptions,
} from '@strata/registry/internals';
import type { BackendTestContext } from '../describe-each-backend';
import { nextPublicEvent, stdioConfig } from './servers';

/** An empty repository for one test, and how to dispose of it (a database drops itself). */
export interface AccessRepositoryFixture {
  readonly repository: AccessRepository;
  close?(): Promise<void>;
}

const NEAR_CACHE_MS = 200;
const config = stdioConfig('node', ['notes']);
const view = (id: string): Grant => ({ principal: { type: 'user', id }, bits: PERMISSION.VIEW });
const groupView = (id: string): Grant => ({ principal: { type: 'group', id }, bits: PERMISSION.VIEW });

/** Resolves once `users` have all been named by access.changed events seen on `strata`. */
function invalidated(strata: Strata, users: readonly string[]): Promise<void> {
  const waiting = new Set(users);
  return new Promise((resolve) => {
    if (waiting.size === 0) return resolve();
    const off = strata.subscribe((event) => {
      if (event.type !== 'access.changed') return;
      event.userIds.forEach((id) => waiting.delete(id));
      if (waiting.size === 0) {
        off();
        resolve();
      }
    });
  });
}

/**
 * Access changes end to end, through `createStrata()` instances sharing one repository (the
 * database) on the context's backend: group grants and membership across instances, concurrent
 * grant changes converging to the database, a change stopped after its write finished by another
 * instance, failed cache effects repaired, one name one server, bad input refused with nothing
 * written, versions from the database. Run it once per repository implementation (memory, MongoDB).
 */
export function accessChangesSuite(
  ctx: BackendTestContext,
  factory: () => Promise<AccessRepositoryFixture> | AccessRepositoryFixture,
): void {
  const instances: Strata[] = [];
  let repository: AccessRepository;
  let fixture: AccessRepositoryFixture | undefined;

  beforeEach(async () => {
    fixture = await factory();
    repository = fixture.repository;
  });
  afterEach(async () => {
    await Promise.all(instances.splice(0).map((strata) => strata.close()));
    await fixture?.close?.();
    fixture = undefined;
  });

  async function instance(admin: StrataOptions['admin'] = {}): Promise<Strata> {
    const strata = await createStrata({
      backend: await ctx.newBackend(),
      repository, // one database shared by every instance
      registry: { nearCacheMaxStalenessMs: NEAR_CACHE_MS },
      privateTier: { nearCacheTtlMs: NEAR_CACHE_MS },
      admin: { moveSettleMs: 300, replayGraceMs: 100, replayIntervalMs: 50, ...admin },
    });
    instances.push(strata);
    await strata.start();
    return strata;
  }

  const names = async (strata: Strata, userId: string): Promise<string[]> =>
    [...(await strata.getServers({ userId })).keys()].sort();

  it('a group grant reaches every member; a removed member and a deleted group lose it on every instance', async () => {
    const a = await instance();
    const b = await instance();
    await a.admin.createGroup('team', 'Team', ['u1', 'u2']);
    expect(await names(b, 'u1')).toEqual([]); // loaded on B before the grant
    const granted = invalidated(b, ['u1', 'u2']);
    await a.admin.createServer('notes', config, { grants: [groupView('team')] });
    await granted;
    expect(await names(b, 'u1')).toEqual(['notes']);
    expect(await names(b, 'u2')).toEqual(['notes']);
    expect(await names(b, 'u3')).toEqual([]);

    const removed = invalidated(b, ['u1']);
    expect(await a.admin.removeMembers('team', ['u1', 'u3'])).toEqual(['u1']);
    await removed;
    expect(await names(b, 'u1')).toEqual([]);
    expect(await names(a, 'u1')).toEqual([]);
    expect(await names(b, 'u2')).toEqual(['notes']);

    const added = invalidated(b, ['u3']);
    expect(await a.admin.addMembers('team', ['u3'])).toEqual(['u3']);
    await added;
    expect(await names(b, 'u3')).toEqual(['notes']);

    const deleted = invalidated(b, ['u2', 'u3']);
    expect(await a.admin.deleteGroup('team')).toBe(true);
    await deleted;
    expect(await names(b, 'u2')).toEqual([]);
    expect(await names(b, 'u3')).toEqual([]);
  });

  it('concurrent grant changes from two instances: every user ends with what the database grants', async () => {
    const a = await instance();
    const b = await instance();
    const users = ['u1', 'u2', 'u3', 'u4', 'u5'];
    await a.admin.createServer('notes', config, { userIds: ['u1'] });
    await Promise.all(users.map((user) => a.login(user))); // everyone loaded on A
    await Promise.all(users.map((user) => b.login(user))); // and on B
    let seed = 7;
    const random = (): number => (seed = (seed * 48_271) % 2_147_483_647) / 2_147_483_647;
    const pick = (): string[] => users.filter(() => random() < 0.5);
    for (let round = 0; round < 15; round += 1) {
      await Promise.all([
        a.admin.setAccess('notes', { userIds: pick() }),
        b.admin.setAccess('notes', { userIds: pick() }),
      ]);
    }
    // Wait until both instances have seen every invalidation (the bus), then compare with the truth.
    await Promise.all([a, b].map((strata) => strata.replayer.runOnce()));
    await new Promise((resolve) => setTimeout(resolve, NEAR_CACHE_MS + 50)); // the near caches' documented bound
    for (const user of users) {
      const truth = (await repository.serversForUser(user)).map((server) => server.name);
      expect({ user, a: await names(a, user) }).toEqual({ user, a: truth });
      expect({ user, b: await names(b, user) }).toEqual({ user, b: truth });
    }
  });

  it('a change whose process stops after the database write is finished by another instance', async () => {
    const stopped = await instance({ hooks: { afterWrite: () => new Promise<never>(() => undefined) } });
    await stopped.replayer.close(); // the stopped process finishes nothing, its own changes included
    const b = await instance();
    const created = invalidated(b, ['u1', 'u2']);
    await b.admin.createServer('notes', config, { userIds: ['u1', 'u2'] });
    await created;
    expect(await names(b, 'u1')).toEqual(['notes']);
    const revoked = invalidated(b, ['u1']);
    void stopped.admin.setAccess('notes', { userIds: ['u2'] }); // writes the database, then "dies"
    await revoked; // B's replayer found the pending change and invalidated whom it concerned
    expect(await names(b, 'u1')).toEqual([]);
    expect(await names(b, 'u2')).toEqual(['notes']);
    expect(b.replayer.replayed).toBeGreaterThanOrEqual(1);
  });

  it('a change whose cache effects fail is accepted, then repaired by the replayer', async () => {
    let failing = true;
    const a = await instance({
      hooks: {
        afterWrite: () => (failing ? Promise.reject(new Error('Connection is closed.')) : Promise.resolve()),
      },
    });
    await a.admin.createServer('notes', config, { userIds: ['u1'] }); // effects failed: u1 not told yet
    failing = false;
    const granted = invalidated(a, ['u1']);
    await granted;
    expect(await names(a, 'u1')).toEqual(['notes']);
  });

  it('one name is one server: shared and private names never collide', async () => {
    const a = await instance();
    await a.admin.createServer('notes', config, { everyone: true });
    await expect(a.admin.createServer('notes', config, { userIds: ['u1'] })).rejects.toMatchObject({
      code: 'CONFLICT',
    });
    const results = await Promise.allSettled([
      a.admin.createServer('wiki', config, { userIds: ['u1'] }),
      a.admin.createServer('wiki', config, { everyone: true }),
    ]);
    expect(results.filter((result) => result.status === 'fulfilled')).toHaveLength(1);
    expect(results.find((result) => result.status === 'rejected')).toMatchObject({ reason: { code: 'CONFLICT' } });
  });

  it('bad grants, configs, names and ids are refused naming the field, and nothing is written', async () => {
    const a = await instance();
    await expect(
      a.admin.createServer('notes', config, { grants: [{ principal: { type: 'robot', id: 'x' }, bits: 1 }] as never }),
    ).rejects.toMatchObject({ code: 'INVALID_ACCESS', issues: [{ path: 'grants.0.principal.type' }] });
    await expect(
      a.admin.createServer('notes', config, { grants: [{ principal: { type: 'user', id: 'u1' }, bits: 9 }] }),
    ).rejects.toMatchObject({ code: 'INVALID_ACCESS', issues: [{ path: 'grants.0.bits' }] });
    await expect(a.admin.createServer('notes', config, { grants: [view('u1'), view('u1')] })).rejects.toMatchObject({
      code: 'INVALID_ACCESS',
      issues: [{ path: 'grants.1.principal' }],
    });
    await expect(
      a.admin.createServer('notes', { type: 'stdio', command: '' }, { userIds: ['u1'] }),
    ).rejects.toMatchObject({ code: 'INVALID_CONFIG', issues: [{ path: 'config.command' }] });
    await expect(a.admin.createServer('bad name*', config, { userIds: ['u1'] })).rejects.toMatchObject({
      code: 'INVALID_NAME',
      issues: [{ path: 'name' }],
    });
    await expect(a.admin.createServer('notes', config, { userIds: ['u1', 'has space'] })).rejects.toMatchObject({
      code: 'INVALID_ACCESS',
      issues: [{ path: 'grants.1.principal.id' }],
    });
    await expect(
      a.admin.createServer('notes', config, { grants: [{ principal: { type: 'group', id: '{tag}*' }, bits: 1 }] }),
    ).rejects.toMatchObject({ code: 'INVALID_ACCESS', issues: [{ path: 'grants.0.principal.id' }] });
    await expect(a.admin.updateServer('notes', config)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    for (const access of [{ everyone: false }, {}, { userIds: 'u1' }, { everyone: true, userIds: ['u1'] }, null]) {
      await expect(a.admin.createServer('notes', config, access as never)).rejects.toMatchObject({
        code: 'INVALID_ACCESS',
        issues: [{ path: 'access' }],
      });
    }
    expect(await repository.list()).toEqual([]);
    expect(await repository.claimStaleChanges(0, 60_000)).toEqual([]); // no pending change left behind
  });

  it('versions come from the database: a promote keeps them rising', async () => {
    const a = await instance();
    const created = await a.admin.createServer('notes', config, { userIds: ['u1'] });
    const shared = nextPublicEvent(a, (event) => event.type === 'server.changed' && event.name === 'notes');
    await a.admin.promote('notes');
    await shared;
    const updated = await a.admin.updateServer('notes', stdioConfig('node', ['v2']));
    expect(updated.version).toBeGreaterThan(created.version);
    expect((await a.getServer('notes'))?.version).toBe(updated.version);
    expect(await repository.nextVersion()).toBeGreaterThan(updated.version);
  });
}
