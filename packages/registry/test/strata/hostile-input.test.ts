// Every public function of the root export, fed hostile values in every argument: undefined, null,
// numbers, booleans, a 1 MB string, prototype keys, objects parsed with a `__proto__` key, cyclic
// objects, symbols, bigints, functions, and ids with `{`, `}`, `*`, `:` and newlines. A call may
// succeed (a weird but valid user id is a user id) or fail with a typed StrataError whose code
// names the kind of input — never a TypeError, never a hang — and a call that fails writes
// nothing: the database (repository) and the Redis keyspace are as before it.
import { inspect } from 'node:util';
import { describeEachBackend } from '@strata/test-harness';
import type { Cluster, Redis } from 'ioredis';
import {
  createStrata,
  MemoryAccessRepository,
  parseStrataYaml,
  StrataError,
  type Strata,
  type StrataOptions,
} from '@strata/registry';
import { stdioConfig } from '../helpers';

/** A call that has not settled after this is a hang. */
const HANG_MS = 5_000;
const ALLOWED_CODES = new Set([
  'INVALID_INPUT',
  'INVALID_OPTIONS',
  'INVALID_NAME',
  'INVALID_USER_ID',
  'INVALID_CONFIG',
  'INVALID_ACCESS',
  'NOT_FOUND',
  'LIMIT_EXCEEDED', // a 1 MB config is over MAX_CONFIG_BYTES (@strata/config limits)
]);

function cyclic(): Record<string, unknown> {
  const value: Record<string, unknown> = { name: 'loop' };
  value['self'] = value;
  return value;
}

/** Values no argument of the library takes. */
const HOSTILE: ReadonlyArray<readonly [string, () => unknown]> = [
  ['null', () => null],
  ['0', () => 0],
  ['NaN', () => NaN],
  ['-1', () => -1],
  ['1e308', () => 1e308],
  ['true', () => true],
  ['empty string', () => ''],
  ['1 MB string', () => 'a'.repeat(1 << 20)],
  ['newline id', () => 'a\nb'],
  ['CRLF id', () => 'x\r\nSET k v'],
  ['__proto__', () => '__proto__'],
  ['constructor', () => 'constructor'],
  ['{}', () => ({})],
  ['[]', () => []],
  [
    'parsed __proto__ object',
    () => JSON.parse('{"__proto__": {"polluted": true}, "constructor": {"prototype": {}}}') as unknown,
  ],
  ['null-prototype object', () => Object.create(null) as unknown],
  ['cyclic object', cyclic],
  ['symbol', () => Symbol('s')],
  ['bigint', () => BigInt(1)],
  ['function', () => () => undefined],
];

/** Strings some arguments accept (user ids are printable ASCII) and keys must encode. */
const ODD_IDS = ['{u:1}', '*', 'a:b', '}{', '{strata:app}', 'a*b?[c]', '__proto__x'];

/** An entry, and the hostile labels it may take as valid (all others must be refused). */
type Entry = readonly [
  name: string,
  call: (strata: Strata, value: unknown) => Promise<unknown>,
  accepts?: readonly string[],
];

/** Objects a read's or a component's options may be: unknown keys inside are ignored. */
const OBJECTS = ['{}', 'null-prototype object', 'parsed __proto__ object', 'cyclic object'];
/** Text fields (an author, a group's display name) are not keys: a prototype word is only text. */
const TEXT = ['__proto__', 'constructor'];

let fresh = 0;
/** A name no earlier call used: a create that succeeds must not make the next one a CONFLICT. */
function freshName(): string {
  fresh += 1;
  return `fresh-${fresh}`;
}

/** Every root function and method, one argument position at a time (the others valid). */
const ENTRIES: readonly Entry[] = [
  ['strata.login(userId)', (s, v) => s.login(v as string)],
  ['strata.getServers(options)', (s, v) => s.getServers(v as object), OBJECTS],
  ['strata.getServers({ userId })', (s, v) => s.getServers({ userId: v as string })],
  ['strata.getServer(name)', (s, v) => s.getServer(v as string)],
  ['strata.getServer(name, options)', (s, v) => s.getServer('files', v as object), OBJECTS],
  ['strata.getServer(name, { userId })', (s, v) => s.getServer('files', { userId: v as string })],
  ['strata.subscribe(listener)', (s, v) => Promise.resolve().then(() => s.subscribe(v as () => void)), ['function']],
  ['admin.createServer(name)', (s, v) => s.admin.createServer(v as string, stdioConfig(), { userIds: ['u1'] })],
  ['admin.createServer(config)', (s, v) => s.admin.createServer(freshName(), v, { userIds: ['u1'] })],
  ['admin.createServer(access)', (s, v) => s.admin.createServer(freshName(), stdioConfig(), v as { everyone: true })],
  [
    'admin.createServer(userIds)',
    (s, v) => s.admin.createServer(freshName(), stdioConfig(), { userIds: [v as string] }),
  ],
  [
    'admin.createServer(author)',
    (s, v) => s.admin.createServer(freshName(), stdioConfig(), { userIds: ['u1'] }, v as string),
    TEXT,
  ],
  ['admin.getServer(name)', (s, v) => s.admin.getServer(v as string)],
  ['admin.updateServer(name)', (s, v) => s.admin.updateServer(v as string, stdioConfig('node', ['v2']))],
  ['admin.updateServer(config)', (s, v) => s.admin.updateServer('wiki', v)],
  ['admin.deleteServer(name)', (s, v) => s.admin.deleteServer(v as string)],
  ['admin.setAccess(name)', (s, v) => s.admin.setAccess(v as string, { userIds: ['u2'] })],
  ['admin.setAccess(access)', (s, v) => s.admin.setAccess('wiki', v as { everyone: true })],
  ['admin.setAccess(userIds)', (s, v) => s.admin.setAccess('wiki', { userIds: [v as string] })],
  ['admin.setAccess(grants)', (s, v) => s.admin.setAccess('wiki', { grants: [v as never] })],
  ['admin.promote(name)', (s, v) => s.admin.promote(v as string)],
  ['admin.demote(name)', (s, v) => s.admin.demote(v as string, ['u1'])],
  ['admin.demote(userIds)', (s, v) => s.admin.demote('shared-one', v as string[]), ['[]']],
  ['admin.createGroup(id)', (s, v) => s.admin.createGroup(v as string, 'Group', ['u1'])],
  ['admin.createGroup(name)', (s, v) => s.admin.createGroup(freshName(), v as string, ['u1']), TEXT],
  ['admin.createGroup(members)', (s, v) => s.admin.createGroup(freshName(), 'Group', v as string[]), ['[]']],
  ['admin.addMembers(groupId)', (s, v) => s.admin.addMembers(v as string, ['u3'])],
  ['admin.addMembers(userIds)', (s, v) => s.admin.addMembers('g1', v as string[]), ['[]']],
  ['admin.removeMembers(groupId)', (s, v) => s.admin.removeMembers(v as string, ['u1'])],
  ['admin.removeMembers(userIds)', (s, v) => s.admin.removeMembers('g1', v as string[]), ['[]']],
  ['admin.deleteGroup(groupId)', (s, v) => s.admin.deleteGroup(v as string)],
  ['admin.invalidateUser(userId)', (s, v) => s.admin.invalidateUser(v as string)],
  ['connections.get(scope)', (s, v) => s.connections.get(v as { kind: 'app' }, 'files')],
  ['connections.get(name)', (s, v) => s.connections.get({ kind: 'app' }, v as string)],
  ['connections.get(scope.userId)', (s, v) => s.connections.get({ kind: 'user', userId: v as string }, 'files')],
  ['connections.endSession(userId)', (s, v) => s.connections.endSession(v as string, 'session-1')],
  ['connections.endSession(sessionId)', (s, v) => s.connections.endSession('u1', v as string)],
  ['parseStrataYaml(text)', (_s, v) => Promise.resolve().then(() => parseStrataYaml(v as string, 'hostile.yaml'))],
];

/** Each field of createStrata's options ('' = the options object itself), and the hostile labels it may take. */
const OPTION_FIELDS: ReadonlyArray<readonly [keyof StrataOptions | '', readonly string[]]> = [
  ['', ['{}', 'null-prototype object']],
  ['redis', []],
  ['backend', []],
  ['keyPrefix', TEXT], // key prefixes are letters, digits, "_" and "-": a prototype word is only a prefix
  ['redisTimeoutMs', []],
  ['appServers', ['[]']],
  ['repository', []],
  ['loader', ['function']],
  ['logger', []],
  ['clock', []],
  ['instanceId', TEXT],
  ['registry', OBJECTS],
  ['privateTier', OBJECTS],
  ['admin', OBJECTS],
  ['connections', OBJECTS],
  ['tools', OBJECTS],
  ['startTimeoutMs', []],
  ['logRepeatIntervalMs', ['0']],
];

interface Outcome {
  readonly settled: 'resolved' | 'rejected' | 'hung';
  readonly error?: unknown;
}

async function outcomeOf(work: () => Promise<unknown>): Promise<Outcome> {
  let timer: NodeJS.Timeout | undefined;
  const hang = new Promise<Outcome>((resolve) => (timer = setTimeout(() => resolve({ settled: 'hung' }), HANG_MS)));
  const settled = (async (): Promise<Outcome> => {
    try {
      await work();
      return { settled: 'resolved' };
    } catch (error) {
      return { settled: 'rejected', error };
    }
  })();
  try {
    return await Promise.race([settled, hang]);
  } finally {
    clearTimeout(timer);
  }
}

/** What a failure looks like in the report: acceptable ones are `ok`. */
function verdict(outcome: Outcome): string {
  if (outcome.settled === 'hung') return `hung for ${HANG_MS} ms`;
  if (outcome.settled === 'resolved') return 'ok';
  const { error } = outcome;
  if (error instanceof StrataError && ALLOWED_CODES.has(error.code)) return 'ok';
  const name = error instanceof Error ? error.constructor.name : typeof error;
  const code = error instanceof StrataError ? ` ${error.code}` : '';
  return `${name}${code}: ${error instanceof Error ? error.message.slice(0, 160) : String(error)}`;
}

async function keysOf(client: Redis | Cluster | undefined, keyPrefix: string): Promise<string[]> {
  if (!client) return [];
  const nodes = 'nodes' in client && typeof client.nodes === 'function' ? client.nodes('master') : [client as Redis];
  const keys: string[] = [];
  for (const node of nodes) {
    let cursor = '0';
    do {
      const [next, batch] = await node.scan(cursor, 'MATCH', `*${keyPrefix}*`, 'COUNT', 1000);
      cursor = next;
      keys.push(...batch);
    } while (cursor !== '0');
  }
  return keys.sort();
}

describeEachBackend('hostile input at every public entry', (ctx) => {
  let strata: Strata;
  let repository: MemoryAccessRepository;

  beforeEach(async () => {
    repository = new MemoryAccessRepository();
    strata = await createStrata({
      backend: await ctx.newBackend(),
      keyPrefix: ctx.keyPrefix,
      repository,
      appServers: [{ name: 'files', config: stdioConfig('node', ['files.js']) }],
    });
    await strata.start();
    await strata.admin.createServer('wiki', stdioConfig('node', ['wiki.js']), { userIds: ['u1'] });
    await strata.admin.createServer('shared-one', stdioConfig('node', ['s.js']), { everyone: true });
    await strata.admin.createGroup('g1', 'Group one', ['u1', 'u2']);
    await strata.login('u1');
  });

  afterEach(async () => {
    await strata.close();
  });

  /**
   * The database (the in-process repository's documents, grants, groups and pending changes) and
   * the Redis keyspace, to compare before and after a refused call. The tools cache is left out:
   * it records a failed connect asynchronously, by design, after the call that failed.
   */
  async function state(): Promise<string> {
    const db = repository as unknown as {
      servers: Map<string, unknown>;
      grants: Map<string, Map<string, unknown>>;
      groups: Map<string, { name: string; members: Set<string> }>;
      pending: Map<string, unknown>;
    };
    const keys = (await keysOf(strata.backend.redis, ctx.keyPrefix)).filter((key) => !key.includes(':tools'));
    // inspect, not JSON: it must describe whatever was stored, a cyclic value included.
    return inspect(
      {
        servers: [...db.servers],
        grants: [...db.grants].map(([name, grants]) => [name, [...grants]]),
        groups: [...db.groups].map(([id, group]) => [id, group.name, [...group.members].sort()]),
        pending: [...db.pending.keys()],
        keys,
      },
      { depth: 8, sorted: true, maxStringLength: 200 },
    );
  }

  it('every call succeeds or fails with a typed error, and a refused call writes nothing', async () => {
    const problems: string[] = [];
    for (const [entry, call, accepts = []] of ENTRIES) {
      for (const [label, make] of HOSTILE) {
        const before = await state();
        const outcome = await outcomeOf(() => call(strata, make()));
        const result = verdict(outcome);
        if (result !== 'ok') problems.push(`${entry} ← ${label}: ${result}`);
        else if (outcome.settled === 'resolved' && !accepts.includes(label)) {
          problems.push(`${entry} ← ${label}: taken as valid`);
        } else if (outcome.settled === 'rejected' && (await state()) !== before) {
          problems.push(`${entry} ← ${label}: refused, but wrote`);
        }
      }
    }
    expect(problems).toEqual([]);
  });

  it('odd but valid user ids are served under encoded keys, never forming another key', async () => {
    const problems: string[] = [];
    for (const userId of ODD_IDS) {
      const outcome = await outcomeOf(() => strata.login(userId));
      if (outcome.settled !== 'resolved') problems.push(`login(${JSON.stringify(userId)}): ${verdict(outcome)}`);
      await expect(strata.getServers({ userId })).resolves.toBeInstanceOf(Map);
    }
    for (const key of await keysOf(strata.backend.redis, ctx.keyPrefix)) {
      // One hash tag per key, and no raw glob or separator from an id inside it.
      if ((key.match(/\{/g) ?? []).length > 1 || /[*?[\]]/.test(key)) problems.push(`key ${key}`);
    }
    expect(problems).toEqual([]);
  });

  it('createStrata refuses hostile options with INVALID_OPTIONS before connecting anything', async () => {
    const problems: string[] = [];
    for (const [field, accepts] of OPTION_FIELDS) {
      for (const [label, make] of HOSTILE) {
        const options = field === '' ? make() : { [field]: make() };
        const outcome = await outcomeOf(async () => {
          const made = await createStrata(options as StrataOptions);
          await made.close(); // a value that is a valid option (e.g. keyPrefix "constructor") builds an instance
        });
        const result = verdict(outcome);
        if (result !== 'ok') problems.push(`createStrata(${field || 'options'} ← ${label}): ${result}`);
        else if (outcome.settled === 'resolved' && !accepts.includes(label)) {
          problems.push(`createStrata(${field || 'options'} ← ${label}): taken as valid`);
        }
      }
    }
    expect(problems).toEqual([]);
  });
});
