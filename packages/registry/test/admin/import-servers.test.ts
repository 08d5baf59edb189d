import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import {
  createStrata,
  importServers,
  MemoryAccessRepository,
  parseClaudeDesktopJson,
  parseLibreChatYaml,
  PERMISSION,
  type ImportServersOptions,
  type NamedServerConfig,
  type ParsedServers,
  type ServerConfig,
  type Strata,
} from '@strata/registry/internals';
import { parseClaudeCodeJson, parseCursorJson, parseVsCodeJson } from '@strata/config';
import { httpConfig } from '../helpers';

/** The app tier (config file) holds this name; the database may not. */
const APP_NAME = 'search';
const OWNER = 'importer-1';

const LIBRECHAT_YAML = `
version: 1.2.1
endpoints:
  custom: []
mcpServers:
  github:
    type: http
    url: https://api.githubcopilot.com/mcp/
    headers:
      Authorization: "Bearer \${GITHUB_TOKEN}"
    chatMenu: false
  filesystem:
    command: npx
    args: ["-y", "@modelcontextprotocol/server-filesystem", "/data"]
    env:
      LOG_LEVEL: info
  weather:
    url: https://weather.example.com/sse
    timeout: 30000
`;

/** The same file with the weather server's url changed. */
const LIBRECHAT_YAML_CHANGED = LIBRECHAT_YAML.replace(
  'https://weather.example.com/sse',
  'https://weather.example.com/v2/sse',
);

const WITH_APP_NAME_YAML = `
mcpServers:
  notes:
    command: node
    args: [notes.js]
  ${APP_NAME}:
    url: https://search.example.com/mcp
    type: streamable-http
  calendar:
    url: https://calendar.example.com/sse
`;

const CLAUDE_DESKTOP_JSON = JSON.stringify({
  globalShortcut: 'Ctrl+Space',
  mcpServers: {
    memory: { command: 'npx', args: ['-y', '@modelcontextprotocol/server-memory'] },
    sqlite: { command: 'uvx', args: ['mcp-server-sqlite', '--db-path', '/tmp/test.db'], env: { DEBUG: '1' } },
  },
});

const librechat = (text: string): ParsedServers => parseLibreChatYaml(text, 'librechat.yaml');
const names = (parsed: ParsedServers): string[] => parsed.servers.map((server) => server.name);

describe('importServers', () => {
  let repository: MemoryAccessRepository;
  let strata: Strata;

  beforeEach(async () => {
    repository = new MemoryAccessRepository();
    strata = await createStrata({
      repository,
      appServers: [{ name: APP_NAME, config: httpConfig('https://app.example.com/search') }],
    });
    await strata.start();
  });
  afterEach(() => strata.close());

  const shared: ImportServersOptions = { owner: OWNER, access: { everyone: true } };
  const versions = async (): Promise<Record<string, number>> =>
    Object.fromEntries((await repository.list()).map((server) => [server.name, server.version]));

  it('creates every server of a LibreChat file, in file order, authored by the owner', async () => {
    const parsed = librechat(LIBRECHAT_YAML);
    expect(names(parsed)).toEqual(['github', 'filesystem', 'weather']);

    const result = await importServers(strata.admin, parsed, shared);

    expect(result).toEqual({
      results: [
        { name: 'github', outcome: 'created' },
        { name: 'filesystem', outcome: 'created' },
        { name: 'weather', outcome: 'created' },
      ],
      created: 3,
      updated: 0,
      unchanged: 0,
      refused: 0,
    });
    expect((await strata.admin.getServer('weather'))?.config).toMatchObject({
      type: 'sse',
      url: 'https://weather.example.com/sse',
    });
    expect((await strata.admin.getServer('github'))?.author).toBe(OWNER);
  });

  it('importing the same file again creates and updates nothing, and no version moves', async () => {
    await importServers(strata.admin, librechat(LIBRECHAT_YAML), shared);
    const before = await versions();

    const again = await importServers(strata.admin, librechat(LIBRECHAT_YAML), shared);

    expect(again.results.map((result) => result.outcome)).toEqual(['unchanged', 'unchanged', 'unchanged']);
    expect(again).toMatchObject({ created: 0, updated: 0, unchanged: 3, refused: 0 });
    expect(await versions()).toEqual(before);
    expect(await repository.list()).toHaveLength(3);
  });

  it('a changed config is updated to a higher version; the others stay unchanged', async () => {
    await importServers(strata.admin, librechat(LIBRECHAT_YAML), shared);
    const before = await versions();

    const result = await importServers(strata.admin, librechat(LIBRECHAT_YAML_CHANGED), shared);

    expect(result.results).toEqual([
      { name: 'github', outcome: 'unchanged' },
      { name: 'filesystem', outcome: 'unchanged' },
      { name: 'weather', outcome: 'updated' },
    ]);
    expect(result).toMatchObject({ created: 0, updated: 1, unchanged: 2, refused: 0 });
    const after = await versions();
    expect(after.weather).toBeGreaterThan(before.weather ?? Infinity);
    expect(after.github).toBe(before.github);
    expect(after.filesystem).toBe(before.filesystem);
    expect((await strata.getServer('weather'))?.config).toMatchObject({ url: 'https://weather.example.com/v2/sse' });
  });

  it('an entry named like an app-tier server is refused NAME_RESERVED; the others import', async () => {
    const result = await importServers(strata.admin, librechat(WITH_APP_NAME_YAML), shared);

    expect(result.results.map(({ name, outcome, error }) => [name, outcome, error?.code])).toEqual([
      ['notes', 'created', undefined],
      [APP_NAME, 'refused', 'NAME_RESERVED'],
      ['calendar', 'created', undefined],
    ]);
    expect(result).toMatchObject({ created: 2, updated: 0, unchanged: 0, refused: 1 });
    expect((await repository.list()).map((server) => server.name).sort()).toEqual(['calendar', 'notes']);
    expect((await strata.getServer(APP_NAME))?.tier).toBe('app');
  });

  it('a bad config and a repeated name are refused with their issues; the rest import', async () => {
    const parsed: ParsedServers = {
      servers: [
        { name: 'good', config: httpConfig('https://good.example.com/mcp') },
        { name: 'broken', config: { type: 'stdio' } as unknown as ServerConfig },
        { name: 'good', config: httpConfig('https://other.example.com/mcp') },
        { name: 'bad name!', config: httpConfig('https://bad.example.com/mcp') },
      ],
      warnings: [],
      errors: [],
    };

    const result = await importServers(strata.admin, parsed, shared);

    expect(result.results.map(({ name, outcome, error }) => [name, outcome, error?.code])).toEqual([
      ['good', 'created', undefined],
      ['broken', 'refused', 'INVALID_CONFIG'],
      ['good', 'refused', 'CONFLICT'],
      ['bad name!', 'refused', 'INVALID_NAME'],
    ]);
    expect(result.results[1]?.error?.issues?.map((issue) => issue.path)).toEqual(['config.command']);
    expect(result).toMatchObject({ created: 1, refused: 3 });
    expect((await strata.admin.getServer('good'))?.config).toMatchObject({ url: 'https://good.example.com/mcp' });
  });

  it('names as people write them: keyed by the slug, the name as written kept in the stored config', async () => {
    const yaml = [
      'mcpServers:',
      '  Clickhouse Local:',
      '    url: https://ch.example.com/sse',
      '  brave-search (beta):',
      '    url: https://brave.example.com/sse',
    ].join('\n');
    const parsed = parseLibreChatYaml(yaml, 'librechat.yaml');
    const result = await importServers(strata.admin, parsed, shared);
    expect(result.created).toBe(2);
    const [clickhouse, brave] = parsed.servers;
    if (!clickhouse || !brave) throw new Error('fixture did not parse');
    expect(clickhouse.name).toMatch(/^clickhouse-local-[0-9a-f]{8}$/);
    expect(brave.name).toMatch(/^brave-search-beta-[0-9a-f]{8}$/);
    expect((await strata.admin.getServer(clickhouse.name))?.config).toMatchObject({
      displayName: 'Clickhouse Local',
      url: 'https://ch.example.com/sse',
    });
    expect((await strata.getServer(brave.name))?.config.displayName).toBe('brave-search (beta)');
  });

  it('two entries with one key in an import: CONFLICT naming both names as written', async () => {
    const config = httpConfig('https://a.example.com/mcp');
    const result = await importServers(
      strata.admin,
      {
        servers: [
          { name: 'team-wiki-1a2b3c4d', displayName: 'Team Wiki', config },
          { name: 'team-wiki-1a2b3c4d', displayName: 'Team  Wiki', config },
        ],
      },
      shared,
    );
    expect(result.results[1]).toMatchObject({ outcome: 'refused', error: { code: 'CONFLICT' } });
    expect(result.results[1]?.error?.message).toContain('"Team Wiki" and "Team  Wiki"');
  });

  it('{ everyone: true } puts the servers in the shared tier', async () => {
    await importServers(strata.admin, librechat(LIBRECHAT_YAML), shared);

    for (const name of ['github', 'filesystem', 'weather']) {
      expect((await strata.getServer(name))?.tier).toBe('shared');
    }
    expect([...(await strata.getServers({ userId: 'anyone' })).keys()].sort()).toEqual([
      'filesystem',
      'github',
      APP_NAME,
      'weather',
    ]);
  });

  it('{ userIds } makes them private to those users', async () => {
    await importServers(strata.admin, librechat(LIBRECHAT_YAML), { owner: OWNER, access: { userIds: ['u1'] } });

    const u1 = await strata.getServers({ userId: 'u1' });
    const u2 = await strata.getServers({ userId: 'u2' });
    expect([...u1.keys()].sort()).toEqual(['filesystem', 'github', APP_NAME, 'weather']);
    expect(u1.get('github')?.tier).toBe('private');
    expect([...u2.keys()]).toEqual([APP_NAME]);
    expect(await strata.getServer('github')).toBeUndefined(); // not shared
  });

  it('{ grants } are applied as given', async () => {
    await strata.admin.createGroup('team', 'Team', ['u3']);
    await importServers(strata.admin, librechat(LIBRECHAT_YAML), {
      owner: OWNER,
      access: { grants: [{ principal: { type: 'group', id: 'team' }, bits: PERMISSION.VIEW }] },
    });

    expect([...(await strata.getServers({ userId: 'u3' })).keys()].sort()).toEqual([
      'filesystem',
      'github',
      APP_NAME,
      'weather',
    ]);
    expect([...(await strata.getServers({ userId: 'u4' })).keys()]).toEqual([APP_NAME]);
  });

  it('a re-import never changes the access of an existing server', async () => {
    await importServers(strata.admin, librechat(LIBRECHAT_YAML), { owner: OWNER, access: { userIds: ['u1'] } });

    const result = await importServers(strata.admin, librechat(LIBRECHAT_YAML_CHANGED), {
      owner: 'someone-else',
      access: { everyone: true },
    });

    expect(result).toMatchObject({ updated: 1, unchanged: 2 });
    const weather = await strata.admin.getServer('weather');
    expect(weather).toMatchObject({ tier: 'private', access: { userIds: ['u1'] }, author: OWNER });
    expect(await strata.getServer('weather')).toBeUndefined();
  });

  it('dryRun reports the same outcomes as the real run and writes nothing', async () => {
    await importServers(strata.admin, librechat(LIBRECHAT_YAML), shared);
    const parsed: ParsedServers = {
      servers: [...librechat(LIBRECHAT_YAML_CHANGED).servers, ...librechat(WITH_APP_NAME_YAML).servers],
      warnings: [],
      errors: [],
    };
    const before = JSON.stringify(await repository.list());
    const isAppServer = (name: string) => strata.registry.isAppServer(name);

    const dry = await importServers(strata.admin, parsed, { ...shared, dryRun: true, isAppServer });

    expect(JSON.stringify(await repository.list())).toBe(before);
    expect(dry.results.map(({ name, outcome, error }) => [name, outcome, error?.code])).toEqual([
      ['github', 'unchanged', undefined],
      ['filesystem', 'unchanged', undefined],
      ['weather', 'updated', undefined],
      ['notes', 'created', undefined],
      [APP_NAME, 'refused', 'NAME_RESERVED'],
      ['calendar', 'created', undefined],
    ]);

    const real = await importServers(strata.admin, parsed, shared);
    expect(real).toEqual(dry);
    expect(JSON.stringify(await repository.list())).not.toBe(before);
  });

  it('dryRun without isAppServer cannot see the app tier: it reports an app-tier name as created', async () => {
    const dry = await importServers(strata.admin, librechat(WITH_APP_NAME_YAML), { ...shared, dryRun: true });

    expect(dry).toMatchObject({ created: 3, refused: 0 });
    expect(await repository.list()).toEqual([]);
  });

  it('imports a Claude Desktop file, idempotently', async () => {
    const parsed = parseClaudeDesktopJson(CLAUDE_DESKTOP_JSON, 'claude_desktop_config.json');

    const first = await importServers(strata.admin, parsed, shared);
    const second = await importServers(strata.admin, parsed, shared);

    expect(first.results).toEqual([
      { name: 'memory', outcome: 'created' },
      { name: 'sqlite', outcome: 'created' },
    ]);
    expect(second).toMatchObject({ created: 0, updated: 0, unchanged: 2, refused: 0 });
    expect((await strata.getServer('sqlite'))?.config).toMatchObject({ type: 'stdio', env: { DEBUG: '1' } });
  });

  it('refuses bad options before writing anything', async () => {
    const parsed = librechat(LIBRECHAT_YAML);
    await expect(
      importServers(strata.admin, parsed, { owner: 'has space', access: { everyone: true } }),
    ).rejects.toMatchObject({ code: 'INVALID_USER_ID' });
    await expect(
      importServers(strata.admin, parsed, { owner: OWNER, access: { userIds: [''] } }),
    ).rejects.toMatchObject({
      code: 'INVALID_USER_ID',
    });
    await expect(
      importServers(strata.admin, parsed, {
        owner: OWNER,
        access: { grants: [{ principal: { type: 'user', id: 'u1' }, bits: 0 }] },
      }),
    ).rejects.toMatchObject({ code: 'INVALID_ACCESS' });
    expect(await repository.list()).toEqual([]);
  });
});

/**
 * Real configs other people published (see /work/shared/config-corpus/README.md and
 * real/PROVENANCE.md), read by path, never copied. Every file of every format must parse (per
 * entry) with no entry refused, and import: the first import creates every server, the second
 * nothing.
 */
/**
 * Where the corpus is: `STRATA_CONFIG_CORPUS`, else `../shared/config-corpus/real` beside the
 * project (the team's layout), else the workplace's `/work/shared/config-corpus/real`.
 */
function findCorpus(): string | undefined {
  const candidates = [
    process.env['STRATA_CONFIG_CORPUS'],
    resolve(__dirname, '../../../..', '../shared/config-corpus/real'),
    '/work/shared/config-corpus/real',
  ];
  return candidates.find((candidate): candidate is string => candidate !== undefined && existsSync(candidate));
}

const CORPUS = findCorpus();

// A clone with no corpus beside it (the corpus is third-party data, never copied into the repo) has
// nothing to import: the suite says where it looked instead of failing on a missing folder.
(CORPUS ? describe : describe.skip)(
  'importServers on the real-world corpus (set STRATA_CONFIG_CORPUS when it is elsewhere)',
  () => {
    if (!CORPUS) return;
    const root = CORPUS;
    const FORMATS = [
      { folder: 'librechat', parse: parseLibreChatYaml },
      { folder: 'claude-desktop', parse: parseClaudeDesktopJson },
      { folder: 'cursor', parse: parseCursorJson },
      { folder: 'claude-code', parse: parseClaudeCodeJson },
      { folder: 'vscode', parse: parseVsCodeJson },
    ] as const;

    interface CorpusFile {
      readonly file: string;
      readonly parsed: ParsedServers;
    }

    /** Every file of the corpus, parsed by its format's parser (a file that throws fails here). */
    const files: CorpusFile[] = FORMATS.flatMap(({ folder, parse }) =>
      readdirSync(join(root, folder))
        .sort()
        .map((name) => {
          const path = join(root, folder, name);
          return { file: `${folder}/${name}`, parsed: parse(readFileSync(path, 'utf8'), path) };
        }),
    );
    const importable = files.map(({ file, parsed }) => ({ file, servers: parsed.servers }));

    it('has files of every format, and servers in them', () => {
      for (const { folder } of FORMATS) expect(files.some(({ file }) => file.startsWith(`${folder}/`))).toBe(true);
      expect(files.reduce((sum, { parsed }) => sum + parsed.servers.length, 0)).toBeGreaterThan(100);
    });

    it.each(files.map((entry) => [entry.file, entry] as const))('%s: no entry is refused', (_file, { parsed }) => {
      expect(parsed.errors).toEqual([]);
    });

    it.each(importable.map((entry) => [entry.file, entry] as const))(
      '%s: the first import creates every server, the second creates and updates nothing',
      async (_file, { servers }: { servers: readonly NamedServerConfig[] }) => {
        const repository = new MemoryAccessRepository();
        const strata = await createStrata({ repository });
        try {
          await strata.start();
          const options: ImportServersOptions = { owner: OWNER, access: { everyone: true } };

          const first = await importServers(strata.admin, { servers }, options);
          expect(first.results.filter((result) => result.outcome === 'refused')).toEqual([]);
          expect(first.created).toBe(servers.length);
          const versions = (await repository.list()).map((server) => [server.name, server.version]);

          const second = await importServers(strata.admin, { servers }, options);
          expect(second).toMatchObject({ created: 0, updated: 0, unchanged: servers.length, refused: 0 });
          expect((await repository.list()).map((server) => [server.name, server.version])).toEqual(versions);
        } finally {
          await strata.close();
        }
      },
    );
  },
);
