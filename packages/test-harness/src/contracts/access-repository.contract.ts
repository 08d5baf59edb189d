import { ALL_PERMISSIONS, PERMISSION, principalKey, type Grant, type Principal } from '@strata/config';
import type { AccessRepository, PrivateServerRecord, ServerConfig } from '@strata/registry/internals';
import { stdioConfig } from './servers';

// Derived from the interface, so the contract needs no more than `AccessRepository` exported.
type ServerDefinition = Awaited<ReturnType<AccessRepository['create']>>;
type NewServer = Parameters<AccessRepository['create']>[0];
type GrantChange = Awaited<ReturnType<AccessRepository['setGrants']>>;
type ChangedGrant = GrantChange['changed'][number];
type PendingChange = Awaited<ReturnType<AccessRepository['claimStaleChanges']>>[number];

/** A lease no test outlives. */
const LONG_LEASE_MS = 60_000;
/** A lease short enough to run out while a test polls. */
const SHORT_LEASE_MS = 50;
/** How long a test polls at most for a short lease to run out (then fails). */
const LEASE_DEADLINE_MS = 10_000;
/** How long a test waits between two polls. */
const POLL_INTERVAL_MS = 20;

/** The keys of a `serversForUser` / `sharedServers` record, sorted. */
const RECORD_KEYS = ['config', 'name', 'updatedAt', 'version'];

const user = (id: string): Principal => ({ type: 'user', id });
const group = (id: string): Principal => ({ type: 'group', id });
const everyone: Principal = { type: 'public' };
const grant = (principal: Principal, bits: number = PERMISSION.VIEW): Grant => ({ principal, bits });

/**
 * Registers the conformance tests of the {@link AccessRepository} interface (Jest `it`s; call it
 * inside a `describe`), in the style of `@keyv/test-suite`. It tests the behaviour the interface
 * documents and nothing an implementation may choose: the version sequence, servers (create, get,
 * list, updateConfig, setGrants and what it says changed, remove, re-creation under the same name),
 * who reaches what (`serversForUser` for the private tier, `sharedServers` for the shared one,
 * `usersOf`, `principalsOf` with its tombstones), groups and their members, and pending changes
 * (begin, end, claim once per lease, concurrent claimers). Results whose order the interface does
 * not promise are compared order-insensitively, and nothing assumes a call completes quickly: the
 * only real-time waits are for a short lease to run out, polled with a deadline.
 *
 * `factory` is called before each test and must give an empty repository; the contract closes
 * nothing (a database-backed repository drops its database in its own `afterEach`).
 *
 * ```ts
 * describe('memory access repository', () => accessRepositoryContract(() => new MemoryAccessRepository()));
 * ```
 */
export function accessRepositoryContract(factory: () => Promise<AccessRepository> | AccessRepository): void {
  let repository: AccessRepository;

  beforeEach(async () => {
    repository = await factory();
  });

  /** Creates `name` (version from the sequence, config naming the server) with `grants`. */
  async function createServer(
    name: string,
    grants: readonly Grant[],
    options: { readonly author?: string; readonly config?: ServerConfig } = {},
  ): Promise<ServerDefinition> {
    const input: NewServer = {
      name,
      config: options.config ?? stdioConfig('node', [name]),
      version: await repository.nextVersion(),
      grants,
      ...(options.author === undefined ? {} : { author: options.author }),
    };
    return repository.create(input);
  }

  /** The names `serversForUser(userId)` answers, sorted. */
  async function namesFor(userId: string): Promise<string[]> {
    return names(await repository.serversForUser(userId));
  }

  /** The names `sharedServers()` answers, sorted. */
  async function sharedNames(): Promise<string[]> {
    return names(await repository.sharedServers());
  }

  describe('nextVersion', () => {
    it('is strictly increasing from one call to the next', async () => {
      const versions: number[] = [];
      for (let i = 0; i < 10; i += 1) versions.push(await repository.nextVersion());
      for (let i = 1; i < versions.length; i += 1) expect(versions[i]).toBeGreaterThan(versions[i - 1] ?? Infinity);
    });

    it('gives 50 concurrent callers 50 distinct values, all below any value asked for afterwards', async () => {
      const versions = await Promise.all(Array.from({ length: 50 }, () => repository.nextVersion()));
      expect(new Set(versions).size).toBe(50);
      for (const version of versions) expect(Number.isInteger(version)).toBe(true);
      const after = await repository.nextVersion();
      expect(after).toBeGreaterThan(Math.max(...versions));
    });
  });

  describe('servers', () => {
    it('get and list of an empty repository find nothing', async () => {
      await expect(repository.get('notes')).resolves.toBeUndefined();
      await expect(repository.list()).resolves.toEqual([]);
    });

    it('create resolves with the definition (name, config, version, author, grants, ISO updatedAt) and get returns the same', async () => {
      const config = stdioConfig('node', ['notes.js']);
      const version = await repository.nextVersion();
      const grants = [grant(user('alice'), ALL_PERMISSIONS), grant(group('team'), PERMISSION.VIEW | PERMISSION.EDIT)];
      const created = await repository.create({ name: 'notes', config, version, author: 'alice', grants });

      expect(normalized(created)).toEqual({
        name: 'notes',
        config,
        version,
        author: 'alice',
        updatedAt: created.updatedAt,
        grants: sortedGrants(grants),
      });
      expectIsoTimestamp(created.updatedAt);
      expect(normalized(await required(repository.get('notes')))).toEqual(normalized(created));
      await expect(repository.get('wiki')).resolves.toBeUndefined();
    });

    it('a server created without an author has author undefined', async () => {
      const created = await createServer('notes', [grant(user('alice'))]);
      expect(created.author).toBeUndefined();
      expect((await required(repository.get('notes'))).author).toBeUndefined();
    });

    it('create of an existing name rejects with CONFLICT and changes nothing', async () => {
      const original = await createServer('notes', [grant(user('alice'))], { author: 'alice' });
      const duplicate = repository.create({
        name: 'notes',
        config: stdioConfig('python', ['other.py']),
        version: await repository.nextVersion(),
        author: 'mallory',
        grants: [grant(user('mallory'), ALL_PERMISSIONS), grant(everyone)],
      });
      await expect(duplicate).rejects.toMatchObject({ code: 'CONFLICT' });

      expect(normalized(await required(repository.get('notes')))).toEqual(normalized(original));
      await expect(repository.list()).resolves.toHaveLength(1);
      await expect(namesFor('mallory')).resolves.toEqual([]);
      await expect(namesFor('alice')).resolves.toEqual(['notes']);
      await expect(sharedNames()).resolves.toEqual([]);
    });

    it('list returns every server with its grants', async () => {
      const created = [
        await createServer('notes', [grant(user('alice'))]),
        await createServer('wiki', [grant(group('team'), ALL_PERMISSIONS)]),
        await createServer('docs', [grant(everyone)]),
        await createServer('empty', []),
      ];
      expect(byName((await repository.list()).map(normalized))).toEqual(byName(created.map(normalized)));
    });
  });

  describe('updateConfig', () => {
    it('sets the new config and version and leaves the grants as they were', async () => {
      const grants = [grant(user('alice'), ALL_PERMISSIONS), grant(group('team'))];
      await createServer('notes', grants);
      const config = stdioConfig('node', ['notes-v2.js']);
      const version = await repository.nextVersion();

      const updated = await repository.updateConfig('notes', config, version);
      expect(updated.name).toBe('notes');
      expect(updated.config).toEqual(config);
      expect(updated.version).toBe(version);
      expectIsoTimestamp(updated.updatedAt);
      expect(sortedGrants(updated.grants)).toEqual(sortedGrants(grants));
      expect(normalized(await required(repository.get('notes')))).toEqual(normalized(updated));
    });

    it('the users who can see the server get its new config and version', async () => {
      await createServer('notes', [grant(user('alice'))]);
      const config = stdioConfig('node', ['notes-v2.js']);
      const version = await repository.nextVersion();
      const updated = await repository.updateConfig('notes', config, version);
      await expect(repository.serversForUser('alice')).resolves.toEqual([
        { name: 'notes', config, version, updatedAt: updated.updatedAt },
      ]);
    });

    it('of an unknown name rejects with NOT_FOUND and creates nothing', async () => {
      const update = repository.updateConfig('notes', stdioConfig(), await repository.nextVersion());
      await expect(update).rejects.toMatchObject({ code: 'NOT_FOUND' });
      await expect(repository.get('notes')).resolves.toBeUndefined();
    });
  });

  describe('setGrants', () => {
    it('granting a new principal reports it as changed from 0', async () => {
      await createServer('notes', [grant(user('alice'), ALL_PERMISSIONS)]);
      const change = await repository.setGrants('notes', [grant(user('alice'), ALL_PERMISSIONS), grant(user('bob'))]);
      expect(sortedChanges(change.changed)).toEqual([{ principal: user('bob'), before: 0, after: PERMISSION.VIEW }]);
    });

    it('revoking a principal reports it as changed to 0', async () => {
      await createServer('notes', [grant(user('alice'), ALL_PERMISSIONS), grant(group('team'), PERMISSION.VIEW)]);
      const change = await repository.setGrants('notes', [grant(user('alice'), ALL_PERMISSIONS)]);
      expect(sortedChanges(change.changed)).toEqual([{ principal: group('team'), before: PERMISSION.VIEW, after: 0 }]);
    });

    it('changing a principal’s bits reports the old and the new bits', async () => {
      await createServer('notes', [grant(user('alice'), PERMISSION.VIEW)]);
      const change = await repository.setGrants('notes', [grant(user('alice'), ALL_PERMISSIONS)]);
      expect(sortedChanges(change.changed)).toEqual([
        { principal: user('alice'), before: PERMISSION.VIEW, after: ALL_PERMISSIONS },
      ]);
    });

    it('setting the grants the server already has changes nothing (empty changed), in any order', async () => {
      const grants = [grant(user('alice'), ALL_PERMISSIONS), grant(group('team')), grant(everyone)];
      await createServer('notes', grants);
      const change = await repository.setGrants('notes', [...grants].reverse());
      expect(change.changed).toEqual([]);
      expect(sortedGrants(change.definition.grants)).toEqual(sortedGrants(grants));
    });

    it('one call that grants, revokes, changes and keeps reports exactly the three principals whose bits changed', async () => {
      await createServer('notes', [
        grant(user('alice'), ALL_PERMISSIONS),
        grant(user('bob'), PERMISSION.VIEW),
        grant(group('team'), PERMISSION.VIEW),
      ]);
      const desired = [
        grant(user('alice'), ALL_PERMISSIONS), // kept
        grant(user('bob'), PERMISSION.VIEW | PERMISSION.EDIT), // changed
        grant(user('carol'), PERMISSION.VIEW), // granted; team: revoked
      ];
      const change = await repository.setGrants('notes', desired);
      expect(sortedChanges(change.changed)).toEqual(
        sortedChanges([
          { principal: user('bob'), before: PERMISSION.VIEW, after: PERMISSION.VIEW | PERMISSION.EDIT },
          { principal: user('carol'), before: 0, after: PERMISSION.VIEW },
          { principal: group('team'), before: PERMISSION.VIEW, after: 0 },
        ]),
      );
    });

    it('afterwards the definition’s grants are exactly the desired set, in the result and from get', async () => {
      await createServer('notes', [grant(user('alice'), ALL_PERMISSIONS), grant(user('bob')), grant(everyone)]);
      const desired = [grant(user('alice'), PERMISSION.VIEW), grant(group('team'), PERMISSION.VIEW | PERMISSION.SHARE)];
      const change = await repository.setGrants('notes', desired);
      expect(change.definition.name).toBe('notes');
      expect(sortedGrants(change.definition.grants)).toEqual(sortedGrants(desired));
      expect(sortedGrants((await required(repository.get('notes'))).grants)).toEqual(sortedGrants(desired));
    });

    it('does not change the config or the version', async () => {
      const created = await createServer('notes', [grant(user('alice'))]);
      const change = await repository.setGrants('notes', [grant(user('bob'))]);
      expect(change.definition.config).toEqual(created.config);
      expect(change.definition.version).toBe(created.version);
    });

    it('revoking every grant leaves no grants, and granting a revoked principal again reports it from 0', async () => {
      await createServer('notes', [grant(user('alice'), ALL_PERMISSIONS)]);
      const revoked = await repository.setGrants('notes', []);
      expect(revoked.changed).toEqual([{ principal: user('alice'), before: ALL_PERMISSIONS, after: 0 }]);
      expect(revoked.definition.grants).toEqual([]);
      await expect(repository.setGrants('notes', [])).resolves.toMatchObject({ changed: [] });

      const regranted = await repository.setGrants('notes', [grant(user('alice'))]);
      expect(regranted.changed).toEqual([{ principal: user('alice'), before: 0, after: PERMISSION.VIEW }]);
      expect(regranted.definition.grants).toEqual([grant(user('alice'))]);
    });

    it('of an unknown name rejects with NOT_FOUND and creates nothing', async () => {
      await expect(repository.setGrants('notes', [grant(user('alice'))])).rejects.toMatchObject({ code: 'NOT_FOUND' });
      await expect(repository.get('notes')).resolves.toBeUndefined();
      await expect(namesFor('alice')).resolves.toEqual([]);
    });
  });

  describe('principalsOf', () => {
    it('lists the principals that hold a grant', async () => {
      await createServer('notes', [grant(user('alice'), ALL_PERMISSIONS), grant(group('team')), grant(everyone)]);
      await expect(principalKeysOf(repository, 'notes')).resolves.toEqual(['group:team', 'public', 'user:alice']);
    });

    it('still lists a principal whose grant was revoked (tombstone)', async () => {
      await createServer('notes', [grant(user('alice'), ALL_PERMISSIONS), grant(user('bob')), grant(group('team'))]);
      await repository.setGrants('notes', [grant(user('alice'), ALL_PERMISSIONS)]);
      await expect(principalKeysOf(repository, 'notes')).resolves.toEqual(['group:team', 'user:alice', 'user:bob']);
    });

    it('still lists every principal after the server is removed', async () => {
      await createServer('notes', [grant(user('alice'), ALL_PERMISSIONS), grant(group('team'))]);
      await repository.setGrants('notes', [grant(user('alice'), ALL_PERMISSIONS), grant(user('bob'))]);
      await repository.remove('notes');
      await expect(principalKeysOf(repository, 'notes')).resolves.toEqual(['group:team', 'user:alice', 'user:bob']);
    });

    it('does not list principals of other servers; an unknown server has none', async () => {
      await createServer('notes', [grant(user('alice'))]);
      await createServer('wiki', [grant(user('bob')), grant(group('team'))]);
      await repository.setGrants('wiki', [grant(user('carol'))]);
      await expect(principalKeysOf(repository, 'notes')).resolves.toEqual(['user:alice']);
      await expect(principalKeysOf(repository, 'unknown')).resolves.toEqual([]);
    });
  });

  describe('remove', () => {
    it('resolves with the removed definition, grants included; then get is undefined and list omits it', async () => {
      await createServer('notes', [grant(user('alice'), ALL_PERMISSIONS), grant(group('team'))], { author: 'alice' });
      const wiki = await createServer('wiki', [grant(user('alice'))]);
      const before = await required(repository.get('notes'));

      const removed = await required(repository.remove('notes'));
      expect(normalized(removed)).toEqual(normalized(before));
      await expect(repository.get('notes')).resolves.toBeUndefined();
      expect((await repository.list()).map(normalized)).toEqual([normalized(wiki)]);
    });

    it('no user reaches a removed server any more, directly, through a group or as a shared server', async () => {
      await repository.createGroup('team', 'Team', ['bob']);
      await createServer('notes', [grant(user('alice')), grant(group('team'))]);
      await createServer('docs', [grant(everyone)]);
      await createServer('wiki', [grant(user('alice')), grant(group('team'))]);
      await repository.remove('notes');
      await repository.remove('docs');
      await expect(namesFor('alice')).resolves.toEqual(['wiki']);
      await expect(namesFor('bob')).resolves.toEqual(['wiki']);
      await expect(sharedNames()).resolves.toEqual([]);
    });

    it('of an unknown or already removed name resolves undefined', async () => {
      await expect(repository.remove('notes')).resolves.toBeUndefined();
      await createServer('notes', [grant(user('alice'))]);
      await repository.remove('notes');
      await expect(repository.remove('notes')).resolves.toBeUndefined();
    });

    it('the name can be created again, and the new server has only its own grants', async () => {
      await repository.createGroup('old-team', 'Old team', ['bob']);
      await createServer('notes', [grant(user('alice'), ALL_PERMISSIONS), grant(group('old-team')), grant(everyone)]);
      await repository.remove('notes');

      const config = stdioConfig('node', ['notes-v2.js']);
      const recreated = await createServer('notes', [grant(user('carol'), ALL_PERMISSIONS)], { config });
      expect(recreated.grants).toEqual([grant(user('carol'), ALL_PERMISSIONS)]);
      const fetched = await required(repository.get('notes'));
      expect(fetched.grants).toEqual([grant(user('carol'), ALL_PERMISSIONS)]);
      expect(fetched.config).toEqual(config);

      await expect(namesFor('alice')).resolves.toEqual([]);
      await expect(namesFor('bob')).resolves.toEqual([]);
      await expect(namesFor('carol')).resolves.toEqual(['notes']);
      await expect(sharedNames()).resolves.toEqual([]);
    });

    it('after re-creation, setGrants reports an old server’s principal as granted from 0', async () => {
      await createServer('notes', [grant(user('alice'), ALL_PERMISSIONS)]);
      await repository.remove('notes');
      await createServer('notes', [grant(user('carol'))]);
      const change = await repository.setGrants('notes', [grant(user('carol')), grant(user('alice'))]);
      expect(change.changed).toEqual([{ principal: user('alice'), before: 0, after: PERMISSION.VIEW }]);
    });
  });

  describe('serversForUser', () => {
    it('lists a server the user has a direct VIEW grant on, as the record {name, config, version, updatedAt}', async () => {
      const notes = await createServer('notes', [grant(user('alice'))]);
      await createServer('wiki', [grant(user('bob'))]);
      const records = await repository.serversForUser('alice');
      expect(records).toEqual([asRecord(notes)]);
      expect(Object.keys(records[0] ?? {}).sort()).toEqual(RECORD_KEYS);
    });

    it('lists a server whose grant carries VIEW among other bits', async () => {
      await createServer('notes', [grant(user('alice'), ALL_PERMISSIONS)]);
      await createServer('wiki', [grant(user('alice'), PERMISSION.VIEW | PERMISSION.SHARE)]);
      await expect(namesFor('alice')).resolves.toEqual(['notes', 'wiki']);
    });

    it('lists a server granted to a group the user is a member of, and not to non-members', async () => {
      await repository.createGroup('team', 'Team', ['alice']);
      await repository.addMembers('team', ['bob']);
      const notes = await createServer('notes', [grant(group('team'))]);
      await expect(repository.serversForUser('alice')).resolves.toEqual([asRecord(notes)]);
      await expect(repository.serversForUser('bob')).resolves.toEqual([asRecord(notes)]);
      await expect(repository.serversForUser('carol')).resolves.toEqual([]);
    });

    it('does not list a server whose grant lacks the VIEW bit (EDIT only), directly or through a group', async () => {
      await repository.createGroup('team', 'Team', ['bob']);
      await createServer('notes', [grant(user('alice'), PERMISSION.EDIT), grant(group('team'), PERMISSION.EDIT)]);
      await expect(repository.serversForUser('alice')).resolves.toEqual([]);
      await expect(repository.serversForUser('bob')).resolves.toEqual([]);
    });

    it('lists a public server to the users and groups granted it by name (a tier move never hides it), not to others', async () => {
      await repository.createGroup('team', 'Team', ['bob']);
      const docs = await createServer('docs', [
        grant(everyone),
        grant(user('alice'), ALL_PERMISSIONS),
        grant(group('team')),
      ]);
      await expect(repository.serversForUser('alice')).resolves.toEqual([asRecord(docs)]);
      await expect(repository.serversForUser('bob')).resolves.toEqual([asRecord(docs)]);
      await expect(repository.serversForUser('carol')).resolves.toEqual([]); // public only: the shared tier's
    });

    it('lists a server the user reaches both directly and through groups once', async () => {
      await repository.createGroup('team', 'Team', ['alice']);
      await repository.createGroup('ops', 'Ops', ['alice']);
      const notes = await createServer('notes', [grant(user('alice')), grant(group('team')), grant(group('ops'))]);
      await expect(repository.serversForUser('alice')).resolves.toEqual([asRecord(notes)]);
    });

    it('follows setGrants: a revoked user loses the server, a newly granted one gains it', async () => {
      await createServer('notes', [grant(user('alice'))]);
      await repository.setGrants('notes', [grant(user('bob'))]);
      await expect(namesFor('alice')).resolves.toEqual([]);
      await expect(namesFor('bob')).resolves.toEqual(['notes']);
    });

    it('an unknown user gets an empty list', async () => {
      await createServer('notes', [grant(user('alice'))]);
      await expect(repository.serversForUser('nobody')).resolves.toEqual([]);
    });
  });

  describe('sharedServers', () => {
    it('returns exactly the servers with a public VIEW grant, as records {name, config, version, updatedAt}', async () => {
      const docs = await createServer('docs', [grant(everyone)]);
      const handbook = await createServer('handbook', [
        grant(everyone, PERMISSION.VIEW),
        grant(user('alice'), ALL_PERMISSIONS),
      ]);
      await createServer('notes', [grant(user('alice'), ALL_PERMISSIONS)]);
      await createServer('wiki', [grant(group('team'))]);
      await createServer('empty', []);

      const records = await repository.sharedServers();
      expect(byName(records)).toEqual(byName([asRecord(docs), asRecord(handbook)]));
      for (const each of records) expect(Object.keys(each).sort()).toEqual(RECORD_KEYS);
    });

    it('is empty when no server is public', async () => {
      await createServer('notes', [grant(user('alice'))]);
      await expect(repository.sharedServers()).resolves.toEqual([]);
    });

    it('setGrants moving a server from public to private moves it out of the shared tier and into its users’ lists', async () => {
      await createServer('docs', [grant(everyone), grant(user('alice'), ALL_PERMISSIONS)]);
      await expect(sharedNames()).resolves.toEqual(['docs']);
      await repository.setGrants('docs', [grant(user('alice'), ALL_PERMISSIONS)]);
      await expect(sharedNames()).resolves.toEqual([]);
      await expect(namesFor('alice')).resolves.toEqual(['docs']);
    });

    it('setGrants moving a server from private to public moves it into the shared tier; its named users keep it', async () => {
      await createServer('notes', [grant(user('alice'), ALL_PERMISSIONS)]);
      await repository.setGrants('notes', [grant(user('alice'), ALL_PERMISSIONS), grant(everyone)]);
      await expect(sharedNames()).resolves.toEqual(['notes']);
      await expect(namesFor('alice')).resolves.toEqual(['notes']);
      await expect(namesFor('bob')).resolves.toEqual([]);
    });
  });

  describe('usersOf', () => {
    it('returns user principals by id and expands groups to their members, each user once', async () => {
      await repository.createGroup('team', 'Team', ['alice', 'bob']);
      await repository.createGroup('ops', 'Ops', ['bob', 'carol']);
      const users = await repository.usersOf([user('alice'), user('dave'), group('team'), group('ops')]);
      expect(users).toHaveLength(4);
      expect(sorted(users)).toEqual(['alice', 'bob', 'carol', 'dave']);
    });

    it('public reaches no one by name, an unknown group no one, and no principals no one', async () => {
      await repository.createGroup('team', 'Team', ['alice']);
      await expect(repository.usersOf([everyone])).resolves.toEqual([]);
      await expect(repository.usersOf([group('unknown')])).resolves.toEqual([]);
      await expect(repository.usersOf([])).resolves.toEqual([]);
      await expect(repository.usersOf([everyone, group('unknown'), user('bob')])).resolves.toEqual(['bob']);
    });

    it('follows group membership: added members are reached, removed members and removed groups are not', async () => {
      await repository.createGroup('team', 'Team', ['alice', 'bob']);
      await repository.createGroup('ops', 'Ops', ['carol']);
      await repository.addMembers('team', ['dave']);
      await repository.removeMembers('team', ['alice']);
      await repository.removeGroup('ops');
      expect(sorted(await repository.usersOf([group('team'), group('ops')]))).toEqual(['bob', 'dave']);
    });
  });

  describe('groups', () => {
    it('createGroup of an existing id rejects with CONFLICT and keeps the group as it was', async () => {
      await repository.createGroup('team', 'Team', ['alice']);
      await expect(repository.createGroup('team', 'Other', ['mallory'])).rejects.toMatchObject({ code: 'CONFLICT' });
      await expect(repository.usersOf([group('team')])).resolves.toEqual(['alice']);
    });

    it('addMembers resolves with only the users not already members; a second identical call resolves []', async () => {
      await repository.createGroup('team', 'Team', ['alice']);
      expect(sorted(await repository.addMembers('team', ['alice', 'bob', 'carol']))).toEqual(['bob', 'carol']);
      await expect(repository.addMembers('team', ['alice', 'bob', 'carol'])).resolves.toEqual([]);
      expect(sorted(await repository.usersOf([group('team')]))).toEqual(['alice', 'bob', 'carol']);
    });

    it('an added member gains the group’s servers', async () => {
      await repository.createGroup('team', 'Team', []);
      await createServer('notes', [grant(group('team'))]);
      await expect(namesFor('alice')).resolves.toEqual([]);
      await repository.addMembers('team', ['alice']);
      await expect(namesFor('alice')).resolves.toEqual(['notes']);
    });

    it('addMembers to an unknown group rejects with NOT_FOUND and creates no group', async () => {
      await expect(repository.addMembers('team', ['alice'])).rejects.toMatchObject({ code: 'NOT_FOUND' });
      await expect(repository.usersOf([group('team')])).resolves.toEqual([]);
      await expect(repository.removeGroup('team')).resolves.toBeUndefined();
    });

    it('removeMembers resolves with only the users that were members', async () => {
      await repository.createGroup('team', 'Team', ['alice', 'bob', 'carol']);
      expect(sorted(await repository.removeMembers('team', ['alice', 'bob', 'dave']))).toEqual(['alice', 'bob']);
      await expect(repository.removeMembers('team', ['alice', 'bob'])).resolves.toEqual([]);
      await expect(repository.usersOf([group('team')])).resolves.toEqual(['carol']);
    });

    it('a removed member loses the group’s servers; the other members keep them', async () => {
      await repository.createGroup('team', 'Team', ['alice', 'bob']);
      await createServer('notes', [grant(group('team'))]);
      await createServer('wiki', [grant(user('alice'))]);
      await repository.removeMembers('team', ['alice']);
      await expect(namesFor('alice')).resolves.toEqual(['wiki']);
      await expect(namesFor('bob')).resolves.toEqual(['notes']);
    });

    it('removeGroup resolves with its members, and they lose its servers', async () => {
      await repository.createGroup('team', 'Team', ['alice', 'bob']);
      await repository.addMembers('team', ['carol']);
      await repository.removeMembers('team', ['bob']);
      await createServer('notes', [grant(group('team'))]);
      await createServer('wiki', [grant(user('alice'))]);

      expect(sorted(await required(repository.removeGroup('team')))).toEqual(['alice', 'carol']);
      await expect(namesFor('alice')).resolves.toEqual(['wiki']);
      await expect(namesFor('carol')).resolves.toEqual([]);
      await expect(repository.usersOf([group('team')])).resolves.toEqual([]);
    });

    it('removeGroup of an empty group resolves [], of an unknown or already removed one undefined', async () => {
      await expect(repository.removeGroup('team')).resolves.toBeUndefined();
      await repository.createGroup('team', 'Team', []);
      await expect(repository.removeGroup('team')).resolves.toEqual([]);
      await expect(repository.removeGroup('team')).resolves.toBeUndefined();
    });

    it('a removed group’s id can be created again', async () => {
      await repository.createGroup('team', 'Team', ['alice']);
      await repository.removeGroup('team');
      await repository.createGroup('team', 'Team again', ['bob']);
      await expect(repository.usersOf([group('team')])).resolves.toEqual(['bob']);
    });
  });

  describe('pending changes', () => {
    it('beginChange resolves with distinct ids, also for concurrent calls', async () => {
      const sequential = [await repository.beginChange({ server: 'notes' }), await repository.beginChange({})];
      const concurrent = await Promise.all(
        Array.from({ length: 20 }, (_, i) => repository.beginChange({ server: `server-${i}` })),
      );
      const ids = [...sequential, ...concurrent];
      for (const id of ids) expect(typeof id).toBe('string');
      expect(new Set(ids).size).toBe(ids.length);
    });

    it('a change begun just now is not older than a minute: claiming with olderThanMs 60 000 leaves it unclaimed', async () => {
      const id = await repository.beginChange({ server: 'notes', userIds: ['alice'] });
      await expect(repository.claimStaleChanges(60_000, LONG_LEASE_MS)).resolves.toEqual([]);
      expect(ids(await repository.claimStaleChanges(0, LONG_LEASE_MS))).toEqual([id]);
    });

    it('claimStaleChanges(0, …) returns a change with its server, group, userIds and startedAt', async () => {
      const before = Date.now();
      const serverChange = await repository.beginChange({ server: 'notes', userIds: ['alice', 'bob'] });
      const groupChange = await repository.beginChange({ group: 'team' });
      const after = Date.now();

      const claimed = byId(await repository.claimStaleChanges(0, LONG_LEASE_MS));
      expect(ids(claimed)).toEqual(sorted([serverChange, groupChange]));
      const server = required(claimed.find((change) => change.id === serverChange));
      const groupOnly = required(claimed.find((change) => change.id === groupChange));

      expect(server.server).toBe('notes');
      expect(server.group).toBeUndefined();
      expect(sorted(server.userIds)).toEqual(['alice', 'bob']);
      expect(groupOnly.server).toBeUndefined();
      expect(groupOnly.group).toBe('team');
      expect(groupOnly.userIds).toEqual([]);
      for (const change of claimed) {
        expect(change.startedAt).toBeGreaterThanOrEqual(before);
        expect(change.startedAt).toBeLessThanOrEqual(after);
      }
    });

    it('a claimed change is not returned again while its lease lasts', async () => {
      const id = await repository.beginChange({ server: 'notes' });
      expect(ids(await repository.claimStaleChanges(0, LONG_LEASE_MS))).toEqual([id]);
      await expect(repository.claimStaleChanges(0, LONG_LEASE_MS)).resolves.toEqual([]);
      await expect(repository.claimStaleChanges(0, SHORT_LEASE_MS)).resolves.toEqual([]);
    });

    it('a claimed change that is not ended is returned again once its lease has run out', async () => {
      const id = await repository.beginChange({ server: 'notes', userIds: ['alice'] });
      expect(ids(await repository.claimStaleChanges(0, SHORT_LEASE_MS))).toEqual([id]);
      const reclaimed = await pollClaims(repository, (claims) => claims.some((change) => change.id === id));
      const again = required(reclaimed.find((change) => change.id === id));
      expect(again.server).toBe('notes');
      expect(again.userIds).toEqual(['alice']);
    });

    it('endChange forgets a change for good: never returned again, not even after the lease it was claimed for', async () => {
      const ended = await repository.beginChange({ server: 'notes' });
      const control = await repository.beginChange({ server: 'wiki' });
      expect(ids(await repository.claimStaleChanges(0, SHORT_LEASE_MS))).toEqual(sorted([ended, control]));
      await repository.endChange(ended);

      // The control change, claimed at the same time, coming back proves the lease has run out.
      const seen: PendingChange[] = [];
      await pollClaims(repository, (claims) => {
        seen.push(...claims);
        return claims.some((change) => change.id === control);
      });
      expect(seen.map((change) => change.id)).not.toContain(ended);
      const afterLease = await repository.claimStaleChanges(0, LONG_LEASE_MS);
      expect(ids(afterLease)).not.toContain(ended);
    });

    it('a change ended before any claim is never returned', async () => {
      const ended = await repository.beginChange({ server: 'notes', userIds: ['alice'] });
      const open = await repository.beginChange({ group: 'team' });
      await repository.endChange(ended);
      expect(ids(await repository.claimStaleChanges(0, LONG_LEASE_MS))).toEqual([open]);
    });

    it('concurrent claimers never get the same change, and together they get every stale change', async () => {
      const begun = await Promise.all(
        Array.from({ length: 20 }, (_, i) => repository.beginChange({ server: `server-${i}` })),
      );
      const claims = await Promise.all([
        repository.claimStaleChanges(0, LONG_LEASE_MS),
        repository.claimStaleChanges(0, LONG_LEASE_MS),
        repository.claimStaleChanges(0, LONG_LEASE_MS),
      ]);
      const claimedIds = claims.flat().map((change) => change.id);
      expect(claimedIds).toHaveLength(new Set(claimedIds).size);
      expect(sorted(claimedIds)).toEqual(sorted(begun));
    });
  });
}

/**
 * Claims (olderThanMs 0, a short lease) until `done` accepts a claim's result; resolves with that
 * result. Fails after {@link LEASE_DEADLINE_MS}.
 */
async function pollClaims(
  repository: AccessRepository,
  done: (claims: PendingChange[]) => boolean,
): Promise<PendingChange[]> {
  const deadline = Date.now() + LEASE_DEADLINE_MS;
  for (;;) {
    const claims = await repository.claimStaleChanges(0, SHORT_LEASE_MS);
    if (done(claims)) return claims;
    if (Date.now() > deadline) throw new Error(`no matching claim within ${LEASE_DEADLINE_MS} ms`);
    await new Promise((resolve) => setTimeout(resolve, POLL_INTERVAL_MS));
  }
}

/** The distinct principal keys `principalsOf(name)` answers, sorted. */
async function principalKeysOf(repository: AccessRepository, name: string): Promise<string[]> {
  return sorted([...new Set((await repository.principalsOf(name)).map(principalKey))]);
}

/** The value, failing the test when it is undefined. */
function required<T>(value: Promise<T | undefined>): Promise<T>;
function required<T>(value: T | undefined): T;
function required<T>(value: T | undefined | Promise<T | undefined>): T | Promise<T> {
  if (value instanceof Promise) return value.then((resolved) => required(resolved));
  expect(value).toBeDefined();
  if (value === undefined) throw new Error('expected a value');
  return value;
}

function expectIsoTimestamp(value: string): void {
  expect(typeof value).toBe('string');
  expect(new Date(value).toISOString()).toBe(value);
}

/** The record the private and shared tiers get for a definition. */
function asRecord(definition: ServerDefinition): PrivateServerRecord {
  const { name, config, version, updatedAt } = definition;
  return { name, config, version, updatedAt };
}

/** A definition with its grants in a fixed order (a repository promises none). */
function normalized(definition: ServerDefinition): ServerDefinition {
  return { ...definition, grants: sortedGrants(definition.grants) };
}

function sortedGrants(grants: readonly Grant[]): Grant[] {
  return [...grants].sort((a, b) => compare(principalKey(a.principal), principalKey(b.principal)));
}

function sortedChanges(changes: readonly ChangedGrant[]): ChangedGrant[] {
  return [...changes].sort((a, b) => compare(principalKey(a.principal), principalKey(b.principal)));
}

function byName<T extends { readonly name: string }>(records: readonly T[]): T[] {
  return [...records].sort((a, b) => compare(a.name, b.name));
}

function byId(changes: readonly PendingChange[]): PendingChange[] {
  return [...changes].sort((a, b) => compare(a.id, b.id));
}

function names(records: readonly { readonly name: string }[]): string[] {
  return sorted(records.map((each) => each.name));
}

function ids(changes: readonly PendingChange[]): string[] {
  return sorted(changes.map((change) => change.id));
}

function sorted(values: readonly string[]): string[] {
  return [...values].sort(compare);
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
