import type { AccessRepository, PrivateServerDefinition } from '@strata/registry/internals';
import { stdioConfig } from './servers';

/**
 * Registers the conformance tests of the {@link AccessRepository} interface (Jest `it`s; call it
 * inside a `describe`), in the style of `@keyv/test-suite`: definitions round-trip through
 * put/get/remove, and `serversForUser` (the private tier's loader) answers exactly the servers
 * shared with a user. `factory` is called before each test and must give an empty repository; the
 * contract closes nothing (a database-backed repository drops its database in its own `afterEach`).
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

  it('get of an unknown name resolves undefined', async () => {
    await expect(repository.get('notes')).resolves.toBeUndefined();
  });

  it('put then get round-trips a definition', async () => {
    const notes = definition('notes', 1, ['u1', 'u2']);
    await expect(repository.put(notes)).resolves.toBeUndefined(); // nothing before it
    await expect(repository.get('notes')).resolves.toEqual(notes);
    await expect(repository.get('wiki')).resolves.toBeUndefined();
  });

  it('put replaces a definition and resolves with the previous one', async () => {
    const first = definition('notes', 1, ['u1']);
    const second = definition('notes', 2, ['u2'], ['v2']);
    await repository.put(first);
    await expect(repository.put(second)).resolves.toEqual(first);
    await expect(repository.get('notes')).resolves.toEqual(second);
  });

  it('serversForUser returns exactly the servers shared with that user, as records {name, config, version, updatedAt}', async () => {
    const notes = definition('notes', 1, ['u1', 'u2']);
    const wiki = definition('wiki', 2, ['u2']);
    const admin = definition('admin', 3, ['u3']);
    for (const each of [notes, wiki, admin]) await repository.put(each);
    await expect(repository.serversForUser('u1')).resolves.toEqual([record(notes)]);
    expect(byName(await repository.serversForUser('u2'))).toEqual([record(notes), record(wiki)]);
    await expect(repository.serversForUser('u3')).resolves.toEqual([record(admin)]);
    await expect(repository.serversForUser('nobody')).resolves.toEqual([]);
  });

  it('serversForUser follows a replaced definition: its new users and config, not the old ones', async () => {
    await repository.put(definition('notes', 1, ['u1']));
    const moved = definition('notes', 2, ['u2'], ['v2']);
    await repository.put(moved);
    await expect(repository.serversForUser('u1')).resolves.toEqual([]);
    await expect(repository.serversForUser('u2')).resolves.toEqual([record(moved)]);
  });

  it('remove resolves with the removed definition; then get is undefined and no user gets it', async () => {
    const notes = definition('notes', 1, ['u1']);
    const wiki = definition('wiki', 2, ['u1']);
    await repository.put(notes);
    await repository.put(wiki);
    await expect(repository.remove('notes')).resolves.toEqual(notes);
    await expect(repository.get('notes')).resolves.toBeUndefined();
    await expect(repository.serversForUser('u1')).resolves.toEqual([record(wiki)]);
    await expect(repository.get('wiki')).resolves.toEqual(wiki);
  });

  it('removing an unknown name resolves undefined', async () => {
    await expect(repository.remove('notes')).resolves.toBeUndefined();
    await repository.put(definition('notes', 1, ['u1']));
    await repository.remove('notes');
    await expect(repository.remove('notes')).resolves.toBeUndefined();
  });

  it('copies a definition’s userIds: mutating the array after put changes nothing stored', async () => {
    const userIds = ['u1'];
    const notes = definition('notes', 1, userIds);
    await repository.put(notes);
    userIds.push('u2');
    userIds[0] = 'someone-else';
    await expect(repository.get('notes')).resolves.toEqual(definition('notes', 1, ['u1']));
    await expect(repository.serversForUser('u1')).resolves.toEqual([record(definition('notes', 1, []))]);
    await expect(repository.serversForUser('u2')).resolves.toEqual([]);
    await expect(repository.serversForUser('someone-else')).resolves.toEqual([]);
  });
}

/** A definition of `name` at `version` (its time derived from the version), shared with `userIds`. */
function definition(
  name: string,
  version: number,
  userIds: string[],
  args: string[] = [name],
): PrivateServerDefinition {
  return {
    name,
    config: stdioConfig('node', args),
    version,
    updatedAt: new Date(Date.UTC(2025, 0, 1) + version * 1_000).toISOString(),
    userIds,
  };
}

/** The record `serversForUser` answers for a definition: everything but the users. */
function record({ name, config, version, updatedAt }: PrivateServerDefinition): {
  name: string;
  config: PrivateServerDefinition['config'];
  version: number;
  updatedAt: string;
} {
  return { name, config, version, updatedAt };
}

/** Records sorted by name (a repository promises no order). */
function byName<T extends { readonly name: string }>(records: readonly T[]): T[] {
  return [...records].sort((a, b) => a.name.localeCompare(b.name));
}
