import { ValidationError } from '../src/errors/strata-error';
import {
  parseClaudeDesktopJson,
  parseLibreChatYaml,
  parseStrataYaml,
  type ParsedServers,
} from '../src/formats/parsers';

type Format = 'strata' | 'librechat' | 'claude';

const PARSERS = {
  strata: { parse: parseStrataYaml, file: 'ops/strata.yaml' },
  librechat: { parse: parseLibreChatYaml, file: '/app/librechat.yaml' },
  claude: { parse: parseClaudeDesktopJson, file: 'claude_desktop_config.json' },
} as const;

/** A strata.yaml with one server `s` whose body is `fields` (YAML flow-map content). */
const strata = (fields: string) => `version: 1\nservers:\n  s: {${fields}}\n`;
const librechat = (fields: string) => `cache: true\nmcpServers:\n  s: {${fields}}\n`;
const claude = (entry: unknown) => JSON.stringify({ mcpServers: { s: entry } });

const STDIO = 'type: stdio, command: node';
const HTTP = 'type: streamable-http, url: "https://x.example/mcp"';

// [what is wrong, format, document, path of the issue, message pattern]
const CASES: Array<[string, Format, string, string, RegExp]> = [
  ['missing type', 'strata', strata('command: node'), 'servers.s.type', /one of/],
  ['unknown type', 'strata', strata('type: grpc, url: "https://x"'), 'servers.s.type', /one of/],
  ['missing command', 'strata', strata('type: stdio'), 'servers.s.command', /string/],
  ['empty command', 'strata', strata('type: stdio, command: ""'), 'servers.s.command', /1 character/],
  ['misspelt field', 'strata', strata(`${STDIO}, comand: x`), 'servers.s.comand', /unknown field/],
  ['stamped version', 'strata', strata(`${STDIO}, version: 3`), 'servers.s.version', /set by the registry/],
  ['stamped updatedAt', 'strata', strata(`${STDIO}, updatedAt: 1700000000000`), 'servers.s.updatedAt', /registry/],
  ['args not a list', 'strata', strata(`${STDIO}, args: "-y"`), 'servers.s.args', /array/],
  ['non-string arg', 'strata', strata(`${STDIO}, args: [a, b, 3]`), 'servers.s.args.2', /string/],
  ['NUL in an arg', 'strata', strata(`${STDIO}, args: ["a\\0b"]`), 'servers.s.args.0', /NUL/],
  ['bad env name', 'strata', strata(`${STDIO}, env: {"1BAD": x}`), 'servers.s.env.1BAD', /environment variable/],
  ['numeric env value', 'strata', strata(`${STDIO}, env: {PORT: 3000}`), 'servers.s.env.PORT', /string/],
  ['__proto__ env key', 'strata', strata(`${STDIO}, env: {__proto__: x}`), 'servers.s.env.__proto__', /reserved/],
  [
    'constructor header',
    'strata',
    strata(`${HTTP}, headers: {constructor: x}`),
    'servers.s.headers.constructor',
    /reserved/,
  ],
  ['empty cwd', 'strata', strata(`${STDIO}, cwd: ""`), 'servers.s.cwd', /1 character/],
  ['url on stdio', 'strata', strata(`${STDIO}, url: "https://x"`), 'servers.s.url', /unknown field/],
  ['command on http', 'strata', strata(`${HTTP}, command: node`), 'servers.s.command', /unknown field/],
  ['missing url', 'strata', strata('type: sse'), 'servers.s.url', /string/],
  ['not a URL', 'strata', strata('type: sse, url: "not a url"'), 'servers.s.url', /valid URL/],
  ['ftp URL', 'strata', strata('type: streamable-http, url: "ftp://x.example"'), 'servers.s.url', /http or https/],
  ['http URL for websocket', 'strata', strata('type: websocket, url: "https://x"'), 'servers.s.url', /ws or wss/],
  ['URL with spaces', 'strata', strata('type: sse, url: " https://x"'), 'servers.s.url', /whitespace/],
  ['bad header name', 'strata', strata(`${HTTP}, headers: {"X Key": v}`), 'servers.s.headers.X Key', /header name/],
  ['header injection', 'strata', strata(`${HTTP}, headers: {X: "a\\r\\nB: c"}`), 'servers.s.headers.X', /line breaks/],
  [
    'headers on websocket',
    'strata',
    strata('type: websocket, url: "wss://x", headers: {}'),
    'servers.s.headers',
    /unknown/,
  ],
  ['negative timeout', 'strata', strata(`${STDIO}, timeout: -1`), 'servers.s.timeout', />=0/],
  ['fractional timeout', 'strata', strata(`${STDIO}, timeout: 1.5`), 'servers.s.timeout', /int/],
  ['initTimeout over 24 h', 'strata', strata(`${STDIO}, initTimeout: 86400001`), 'servers.s.initTimeout', /86400000/],
  ['string startup', 'strata', strata(`${STDIO}, startup: "yes"`), 'servers.s.startup', /boolean/],
  ['long title', 'strata', strata(`${STDIO}, title: "${'t'.repeat(201)}"`), 'servers.s.title', /200/],
  ['empty tool name', 'strata', strata(`${STDIO}, tools: {allow: [""]}`), 'servers.s.tools.allow.0', /1 character/],
  [
    'tool allowed and denied',
    'strata',
    strata(`${STDIO}, tools: {allow: [a, b], deny: [b]}`),
    'servers.s.tools.deny',
    /"b"/,
  ],
  ['unknown tools field', 'strata', strata(`${STDIO}, tools: {only: [a]}`), 'servers.s.tools.only', /unknown field/],
  ['server is a list', 'strata', 'servers:\n  s: [a, b]\n', 'servers.s', /object/],
  ['server is null', 'strata', 'servers:\n  s:\n', 'servers.s', /object/],
  ['control character in a name', 'strata', `servers:\n  "a\\u0007b": {${STDIO}}\n`, 'servers.a\u0007b', /control/],
  ['blank name', 'strata', `servers:\n  "  ": {${STDIO}}\n`, 'servers.  ', /blank/],
  [
    'two names with one slug',
    'strata',
    `servers:\n  GitHub: {${STDIO}}\n  github: {${STDIO}}\n`,
    'servers.github',
    /"GitHub" and "github" have the same key "github"/,
  ],
  [
    'duplicate server',
    'strata',
    `servers:\n  s: {${STDIO}}\n  s: {${STDIO}}\n`,
    'servers.s',
    /duplicate key \(line 3\)/,
  ],
  ['servers is a list', 'strata', 'servers: [a]\n', 'servers', /map/],
  ['unknown top-level key', 'strata', 'version: 1\nserver: {}\n', 'server', /unknown field/],
  ['wrong version', 'strata', 'version: 2\nservers: {}\n', 'version', /must be 1/],
  ['root is a list', 'strata', '- a\n- b\n', '', /root/],
  ['empty document', 'strata', '', '', /root/],
  ['multiple documents', 'strata', 'servers: {}\n---\nservers: {}\n', '', /line 2/],
  ['tab indentation', 'strata', 'servers:\n\ts: {}\n', '', /line 2/],
  ['alias without anchor', 'strata', 'servers:\n  s: *missing\n', '', /alias/i],
  ['complex key', 'strata', 'servers:\n  ? [a, b]\n  : {}\n', 'servers', /keys must be/],
  ['librechat: bad type', 'librechat', librechat('type: grpc, url: "https://x"'), 'mcpServers.s.type', /one of/],
  ['librechat: env number', 'librechat', librechat('command: node, env: {N: 1}'), 'mcpServers.s.env.N', /string/],
  ['librechat: no command, no url', 'librechat', librechat('title: x'), 'mcpServers.s.type', /one of/],
  ['librechat: http URL for ws', 'librechat', librechat('type: websocket, url: "http://x"'), 'mcpServers.s.url', /ws/],
  [
    'librechat: bad stderr',
    'librechat',
    librechat('command: node, stderr: sometimes'),
    'mcpServers.s.stderr',
    /invalid/i,
  ],
  ['librechat: mcpServers a list', 'librechat', 'mcpServers: [a]\n', 'mcpServers', /map/],
  ['librechat: duplicate', 'librechat', 'mcpServers:\n  a: {command: x}\n  a: {command: y}\n', 'mcpServers.a', /dup/],
  ['claude: args a string', 'claude', claude({ command: 'npx', args: '-y' }), 'mcpServers.s.args', /array/],
  ['claude: env null', 'claude', claude({ command: 'npx', env: { A: null } }), 'mcpServers.s.env.A', /string/],
  ['claude: url with ws', 'claude', claude({ url: 'ws://x' }), 'mcpServers.s.url', /http or https/],
  ['claude: unknown type', 'claude', claude({ type: 'grpc', url: 'https://x' }), 'mcpServers.s.type', /one of/],
  [
    'claude: headers a list',
    'claude',
    claude({ url: 'https://x', headers: ['A: b'] }),
    'mcpServers.s.headers',
    /record/,
  ],
  ['claude: entry a string', 'claude', claude('npx server'), 'mcpServers.s', /object/],
  ['claude: root a list', 'claude', '[]', '', /JSON object/],
  ['claude: mcpServers a string', 'claude', '{"mcpServers": "x"}', 'mcpServers', /map/],
  [
    'claude: duplicate name',
    'claude',
    '{"mcpServers": {"a": {"command": "x"}, "a": {"command": "y"}}}',
    'mcpServers.a',
    /dup/,
  ],
  ['claude: trailing comma', 'claude', '{"mcpServers": {},}', '', /invalid JSON at line 1/],
];

describe('invalid configs', () => {
  it('has at least 30 cases', () => {
    expect(CASES.length).toBeGreaterThanOrEqual(30);
  });

  it.each(CASES)('%s (%s)', (_what, format, text, path, message) => {
    const { parse, file } = PARSERS[format];
    // strict: the whole file is refused, naming the field.
    const error = refusal(() => parse(text, file, { strict: true }));
    expect(error.source).toBe(file);
    expect(error.issues.map((issue) => issue.path)).toEqual([path]);
    expect(error.issues[0]?.message).toMatch(message);
    // per entry (the default): a document-level problem still refuses the file; an entry's problem
    // refuses that entry only, with the same issue, and returns nothing for it.
    let parsed: ParsedServers | undefined;
    try {
      parsed = parse(text, file);
    } catch (thrown) {
      expect(thrown).toBeInstanceOf(ValidationError);
      expect((thrown as ValidationError).issues).toEqual(error.issues);
    }
    if (parsed) {
      expect(parsed.servers.map((server) => server.displayName ?? server.name)).not.toContain(path.split('.')[1]);
      expect(parsed.errors.flatMap((entry) => entry.issues)).toEqual(error.issues);
      expect(parsed.errors[0]?.code).toBe(error.code);
    }
  });
});

function refusal(run: () => unknown): ValidationError {
  try {
    run();
  } catch (error) {
    if (error instanceof ValidationError) return error;
    throw error;
  }
  throw new Error('expected a ValidationError');
}

describe('a document that is not text', () => {
  it.each([undefined, null, 42, { mcpServers: {} }, Buffer.from('{}')])(
    'is refused with INVALID_INPUT, not a TypeError (%p)',
    (input) => {
      for (const parse of [parseClaudeDesktopJson, parseLibreChatYaml, parseStrataYaml]) {
        expect(() => parse(input as unknown as string, 'file')).toThrow(ValidationError);
        try {
          parse(input as unknown as string, 'file');
        } catch (error) {
          expect(error).toMatchObject({ code: 'INVALID_INPUT', source: 'file' });
        }
      }
    },
  );
});
